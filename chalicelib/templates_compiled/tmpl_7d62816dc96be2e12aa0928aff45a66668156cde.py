from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'overview.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'overview.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    yield from parent_template.root_render_func(context)

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_items = resolve('items')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    pass
    yield 'The latest readings of '
    yield escape(t_1((undefined(name='items') if l_0_items is missing else l_0_items)))
    yield ' ThingSpeak channels, at a glance.'

def block_main_attributes(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_refresh_seconds = resolve('refresh_seconds')
    pass
    yield ' data-refresh="'
    yield escape((undefined(name='refresh_seconds') if l_0_refresh_seconds is missing else l_0_refresh_seconds))
    yield '" data-api="/api/dashboards" data-overview'

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_items = resolve('items')
    l_0_access_link = resolve('access_link')
    pass
    yield '<header>\n  <h1>Your sensors</h1>\n  <button type="button" class="toggle" data-unit-toggle hidden>Show in °C</button>\n</header>\n<ul class="cards">\n'
    for (l_1_card, l_1_when) in (undefined(name='items') if l_0_items is missing else l_0_items):
        l_1_field = resolve('field')
        _loop_vars = {}
        pass
        yield '  <li data-card="'
        yield escape(environment.getattr(l_1_card, 'name'))
        yield '">\n    <h2><a href="'
        yield escape(environment.getattr(l_1_card, 'url'))
        yield '">'
        yield escape(environment.getattr(l_1_card, 'title'))
        yield '</a></h2>\n'
        if environment.getattr(l_1_card, 'headline'):
            pass
            l_1_field = environment.getattr(l_1_card, 'headline')
            _loop_vars['field'] = l_1_field
            yield '    <div data-field="'
            yield escape(environment.getattr((undefined(name='field') if l_1_field is missing else l_1_field), 'number'))
            yield '"><p class="label">'
            yield escape(environment.getattr((undefined(name='field') if l_1_field is missing else l_1_field), 'label'))
            yield '</p>\n    <p class="value">'
            template = environment.get_template('_value.html', 'overview.html')
            gen = template.root_render_func(template.new_context(context.get_all(), True, {'card': l_1_card, 'field': l_1_field, 'when': l_1_when}))
            try:
                for event in gen:
                    yield event
            finally: gen.close()
            yield '</p></div>\n'
            if environment.getattr(l_1_card, 'others'):
                pass
                yield '    <dl class="also">'
                for l_2_field in environment.getattr(l_1_card, 'others'):
                    _loop_vars = {}
                    pass
                    yield '<div data-field="'
                    yield escape(environment.getattr(l_2_field, 'number'))
                    yield '"><dt>'
                    yield escape(environment.getattr(l_2_field, 'label'))
                    yield '</dt><dd class="value">'
                    template = environment.get_template('_value.html', 'overview.html')
                    gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_2_field, 'card': l_1_card, 'when': l_1_when}))
                    try:
                        for event in gen:
                            yield event
                    finally: gen.close()
                    yield '</dd></div>'
                l_2_field = missing
                yield '</dl>\n'
            yield '    <p class="when" data-when>Measured <time datetime="'
            yield escape(environment.getattr(l_1_card, 'created_at_iso'))
            yield '">'
            yield escape(environment.getattr(l_1_when, 'text'))
            yield '</time>, <span class="ago" data-ago>'
            yield escape(environment.getattr(l_1_when, 'ago'))
            yield '</span> <strong class="badge" data-stale'
            if (not environment.getattr(l_1_card, 'stale')):
                pass
                yield ' hidden'
            yield '>Stale</strong></p>\n'
        elif (not environment.getattr(l_1_card, 'error')):
            pass
            yield '    <p class="when">No readings yet.</p>\n'
        yield '    <p class="note" role="status" data-error'
        if (not environment.getattr(l_1_card, 'error')):
            pass
            yield ' hidden'
        yield '>'
        if environment.getattr(l_1_card, 'error'):
            pass
            yield escape(environment.getattr(environment.getattr(l_1_card, 'error'), 'title'))
            if environment.getattr(l_1_card, 'headline'):
                pass
                yield ': showing the last reading we have'
            else:
                pass
                yield '. '
                yield escape(environment.getattr(environment.getattr(l_1_card, 'error'), 'message'))
        yield '</p>\n  </li>\n'
    l_1_card = l_1_when = l_1_field = missing
    yield '</ul>\n'
    if (undefined(name='access_link') if l_0_access_link is missing else l_0_access_link):
        pass
        yield '<p class="access"><a href="'
        yield escape(environment.getitem((undefined(name='access_link') if l_0_access_link is missing else l_0_access_link), 0))
        yield '">'
        yield escape(environment.getitem((undefined(name='access_link') if l_0_access_link is missing else l_0_access_link), 1))
        yield '</a></p>\n'

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

blocks = {'description': block_description, 'main_attributes': block_main_attributes, 'content': block_content, 'script': block_script}
debug_info = '1=12&2=17&3=36&4=49&10=60&11=65&12=67&13=71&14=73&15=76&16=80&17=87&18=90&20=108&21=118&24=122&28=139&29=142&32=147'