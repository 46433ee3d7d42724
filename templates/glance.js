(function () {
  "use strict";
  var time = document.querySelector("time[datetime]");
  var ago = document.querySelector("[data-ago]");
  if (!time || !ago) return;
  var when = new Date(time.getAttribute("datetime"));
  if (isNaN(when.getTime())) return;
  time.textContent = when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  time.title = when.toISOString();
  function tick() {
    var s = Math.max(0, (Date.now() - when.getTime()) / 1000);
    ago.textContent = s < 60 ? "just now"
      : s < 3600 ? Math.floor(s / 60) + " min ago"
      : s < 172800 ? Math.floor(s / 3600) + " h ago"
      : Math.floor(s / 86400) + " days ago";
  }
  tick();
  setInterval(tick, 30000);
})();
