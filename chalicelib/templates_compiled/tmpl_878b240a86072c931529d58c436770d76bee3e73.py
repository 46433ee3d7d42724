from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_field_chart.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_view = resolve('view')
    l_0_trend = resolve('trend')
    pass
    yield '<p class="what">Each point is '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'what_phrase'))
    yield ', over the '
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'span_phrase'))
    yield '.'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'capped'):
        pass
        yield ' '
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'cap_reason'))
    yield '</p>\n<figure class="trend chart">\n<svg viewBox="0 0 100 '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'height'))
    yield '" preserveAspectRatio="none" role="img" aria-label="'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'label'))
    yield ' over the '
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'span_phrase'))
    yield ': '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'whats'))
    yield ' from '
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'low'))
    yield ' to '
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'high'))
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'):
        pass
        yield ' '
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'))
    yield '" data-start="'
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'start_unix'))
    yield '" data-end="'
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'end_unix'))
    yield '" data-t="'
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'data_t'))
    yield '" data-v="'
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'data_v'))
    yield '" data-what="'
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'what'))
    yield '"><path d="'
    yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'path'))
    yield '"/></svg>\n<div class="ax lb" aria-hidden="true">'
    for l_1_t in environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'ticks'):
        _loop_vars = {}
        pass
        yield '<i class="p'
        yield escape(environment.getattr(l_1_t, 'p'))
        yield '">'
        if environment.getattr(l_1_t, 'label'):
            pass
            yield '<span>'
            yield escape(environment.getattr(l_1_t, 'label'))
            yield '</span>'
        yield '</i>'
    l_1_t = missing
    yield '</div>\n<div class="sc" aria-hidden="true">'
    for l_1_level in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'scale'):
        _loop_vars = {}
        pass
        yield '<span class="p'
        yield escape(environment.getattr(l_1_level, 'p'))
        yield '" data-p="'
        yield escape(environment.getattr(l_1_level, 'y'))
        yield '" data-v="'
        yield escape(environment.getattr(l_1_level, 'text'))
        yield '">'
        yield escape(environment.getattr(l_1_level, 'text'))
        yield '</span>'
    l_1_level = missing
    yield '</div>\n</figure>\n<dl class="extremes">\n'
    for (l_1_name, l_1_point) in (('Lowest', environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'low_at')), ('Highest', environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'high_at'))):
        _loop_vars = {}
        pass
        yield '<div><dt>'
        yield escape(l_1_name)
        if (environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'what') != 'reading'):
            pass
            yield ' '
            yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'what'))
        yield '</dt><dd><b data-v="'
        yield escape(environment.getattr(l_1_point, 'display'))
        yield '">'
        yield escape(environment.getattr(l_1_point, 'display'))
        yield '</b>'
        if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'):
            pass
            yield '<span data-u="'
            yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'))
            yield '">'
            yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'))
            yield '</span>'
        yield ' <time datetime="'
        yield escape(environment.getattr(l_1_point, 'iso'))
        yield '" data-local'
        if environment.getattr(l_1_point, 'precise'):
            pass
            yield '="s"'
        yield '>'
        yield escape(environment.getattr(l_1_point, 'text'))
        yield '</time></dd></div>\n'
    l_1_name = l_1_point = missing
    yield '</dl>'

blocks = {}
debug_info = '1=14&3=23&4=51&5=65&8=79&9=83'