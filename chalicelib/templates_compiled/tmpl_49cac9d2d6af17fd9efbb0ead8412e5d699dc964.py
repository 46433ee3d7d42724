from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'field.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'field.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    yield from parent_template.root_render_func(context)

def block_title(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_view = resolve('view')
    pass
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'label'))
    yield ', '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'span_phrase'))
    yield ' · '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'title'))

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_view = resolve('view')
    pass
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'label'))
    yield ' of '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'title'))
    yield ' over the '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'span_phrase'))
    yield ': a chart to read any point of, the lowest and highest, and a CSV download.'

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_home = resolve('home')
    l_0_view = resolve('view')
    l_0_field = resolve('field')
    l_0_trend = resolve('trend')
    try:
        t_1 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '<nav><a href="'
    yield escape((undefined(name='home') if l_0_home is missing else l_0_home))
    yield '" class="back">'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'title'))
    yield '</a></nav>\n<header>\n  <h1>'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'label'))
    yield '</h1>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'temperature'):
        pass
        yield '  <button type="button" class="toggle" data-unit-toggle hidden>Show in °C</button>\n'
    yield '</header>\n'
    if (environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'current') and (not t_1(environment.getattr(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'current'), 'display')))):
        pass
        l_0_field = environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'current')
        _block_vars['field'] = l_0_field
        yield '<div class="headline now" data-field="'
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'number'))
        yield '"><p class="value">'
        template = environment.get_template('_value.html', 'field.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field, 'trend': l_0_trend}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
        yield '</p><p class="when">Measured <time datetime="'
        yield escape(environment.getattr(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'current_at'), 'iso'))
        yield '" data-local="s">'
        yield escape(environment.getattr(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'current_at'), 'text'))
        yield '</time></p></div>\n'
    yield '<nav aria-label="Range"><ul class="ranges">'
    for l_1_link in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'links'):
        _loop_vars = {}
        pass
        yield '<li><a href="'
        yield escape(environment.getattr(l_1_link, 'href'))
        yield '"'
        if environment.getattr(l_1_link, 'current'):
            pass
            yield ' aria-current="page"'
        yield '>'
        yield escape(environment.getattr(l_1_link, 'label'))
        yield '</a></li>'
    l_1_link = missing
    yield '</ul></nav>\n<p class="note" role="status" data-note'
    if (not environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'error')):
        pass
        yield ' hidden'
    yield '>ThingSpeak is unreachable right now. This is the last copy we have.</p>\n<section class="field" data-field="'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'number'))
    yield '">\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'chart'):
        pass
        l_0_trend = environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'chart')
        _block_vars['trend'] = l_0_trend
        template = environment.get_template('_field_chart.html', 'field.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field, 'trend': l_0_trend}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
    elif environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'rows'):
        pass
        yield '<p class="what">These '
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'whats'))
        yield ' are not numbers, so there is nothing to chart.</p>\n'
    else:
        pass
        yield '<p class="what">No '
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'whats'))
        yield ' in the last '
        yield escape(environment.getattr(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'range'), 'label'))
        yield '.</p>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'rows'):
        pass
        template = environment.get_template('_field_table.html', 'field.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field, 'trend': l_0_trend}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
    yield '<p><a class="csv" href="'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'csv_href'))
    yield '" download>Download CSV<span class="visually-hidden"> of the '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'whats'))
    yield '</span></a></p>\n</section>\n<footer>ThingSpeak channel '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'channel_id'))
    yield ' · field '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'number'))
    yield '</footer>\n'

def block_script(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_assets = resolve('assets')
    pass
    yield '<script>'
    yield escape(environment.getattr((undefined(name='assets') if l_0_assets is missing else l_0_assets), 'js'))
    yield '</script>'

blocks = {'title': block_title, 'description': block_description, 'content': block_content, 'script': block_script}
debug_info = '1=12&2=17&3=32&4=48&5=67&7=71&8=73&12=77&13=79&14=82&16=96&17=110&18=114&19=116&20=118&21=120&22=126&23=129&25=134&27=138&28=140&30=147&32=151&34=156'