"""Deployment helpers run from a developer's machine; never packaged into the Lambda
(Chalice packages only app.py, chalicelib/ and vendor/)."""
