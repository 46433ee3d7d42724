from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'page.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'page.html')
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
    l_0_reading = resolve('reading')
    pass
    if (environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline') and environment.getattr(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline'), 'display')):
        pass
        yield escape(environment.getattr(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline'), 'display'))
        if (environment.getattr(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline'), 'numeric') and environment.getattr(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline'), 'unit')):
            pass
            yield ' '
            yield escape(environment.getattr(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline'), 'unit'))
        yield ' · '
    yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'title'))

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_reading = resolve('reading')
    pass
    yield 'Latest reading of '
    yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'title'))
    yield ' (ThingSpeak channel '
    yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'channel_id'))
    yield ').'

def block_main_attributes(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_refresh_seconds = resolve('refresh_seconds')
    l_0_api_path = resolve('api_path')
    pass
    yield ' data-refresh="'
    yield escape((undefined(name='refresh_seconds') if l_0_refresh_seconds is missing else l_0_refresh_seconds))
    yield '" data-api="'
    yield escape((undefined(name='api_path') if l_0_api_path is missing else l_0_api_path))
    yield '"'

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_overview_link = resolve('overview_link')
    l_0_reading = resolve('reading')
    l_0_bell = resolve('bell')
    l_0_field = resolve('field')
    l_0_private = resolve('private')
    try:
        t_1 = environment.tests['defined']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No test named 'defined' found.")
    try:
        t_2 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    if (undefined(name='overview_link') if l_0_overview_link is missing else l_0_overview_link):
        pass
        yield '<nav><a href="/" class="back">All sensors</a></nav>\n'
    yield '<header>\n  <h1>'
    yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'title'))
    yield '</h1>\n'
    if environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'has_temperature'):
        pass
        yield '  <button type="button" class="toggle" data-unit-toggle hidden>Show in °C</button>\n'
    if (t_1((undefined(name='bell') if l_0_bell is missing else l_0_bell)) and (undefined(name='bell') if l_0_bell is missing else l_0_bell)):
        pass
        template = environment.get_template('_bell.html', 'page.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
    yield '</header>\n<p class="note" role="status" data-note'
    if (not environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'upstream_error')):
        pass
        yield ' hidden'
    yield '>ThingSpeak is unreachable right now. This is the last reading we have.</p>\n'
    if t_2(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'entry_id')):
        pass
        yield '<section class="empty">\n  <h2>No readings yet</h2>\n  <p>This channel has no entries. The newest one will show here as soon as your device posts it to ThingSpeak.</p>\n</section>\n'
    elif t_2(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline')):
        pass
        yield '<section class="empty">\n  <h2>Nothing to show</h2>\n  <p>This channel defines no fields.</p>\n</section>\n'
    else:
        pass
        l_0_field = environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline')
        _block_vars['field'] = l_0_field
        yield '<section class="headline" aria-labelledby="headline-label" data-field="'
        yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'number'))
        yield '">\n  <h2 id="headline-label">'
        yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'label'))
        yield '</h2>\n  <p class="value">'
        template = environment.get_template('_value.html', 'page.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
        yield '</p>\n  <p class="when" data-when>'
        template = environment.get_template('_when.html', 'page.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
        yield '</p>\n'
        template = environment.get_template('_sparkline.html', 'page.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
        template = environment.get_template('_more.html', 'page.html')
        gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_0_field}))
        try:
            for event in gen:
                yield event
        finally: gen.close()
        yield '</section>\n'
        if environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'others'):
            pass
            yield '<section aria-label="Other fields">\n  <ul class="others">\n'
            for l_1_field in environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'others'):
                _loop_vars = {}
                pass
                yield '    <li data-field="'
                yield escape(environment.getattr(l_1_field, 'number'))
                yield '"><h3>'
                yield escape(environment.getattr(l_1_field, 'label'))
                yield '</h3><p class="value">'
                template = environment.get_template('_value.html', 'page.html')
                gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_1_field}))
                try:
                    for event in gen:
                        yield event
                finally: gen.close()
                yield '</p>'
                template = environment.get_template('_sparkline.html', 'page.html')
                gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_1_field}))
                try:
                    for event in gen:
                        yield event
                finally: gen.close()
                template = environment.get_template('_more.html', 'page.html')
                gen = template.root_render_func(template.new_context(context.get_all(), True, {'field': l_1_field}))
                try:
                    for event in gen:
                        yield event
                finally: gen.close()
                yield '</li>\n'
            l_1_field = missing
            yield '  </ul>\n</section>\n'
    yield '<footer>ThingSpeak channel '
    yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'channel_id'))
    if (not t_2(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'entry_id'))):
        pass
        yield ' · entry <span data-entry>'
        yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'entry_id'))
        yield '</span>'
    if (undefined(name='private') if l_0_private is missing else l_0_private):
        pass
        yield ' · <a href="/signout">Sign out</a>'
    yield '</footer>\n'

def block_script(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_assets = resolve('assets')
    l_0_bell = resolve('bell')
    try:
        t_1 = environment.tests['defined']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No test named 'defined' found.")
    pass
    yield '<script>'
    yield escape(environment.getattr((undefined(name='assets') if l_0_assets is missing else l_0_assets), 'js'))
    yield '</script>'
    if (t_1((undefined(name='bell') if l_0_bell is missing else l_0_bell)) and (undefined(name='bell') if l_0_bell is missing else l_0_bell)):
        pass
        yield '<script src="/bell.js" defer></script>'

blocks = {'title': block_title, 'description': block_description, 'main_attributes': block_main_attributes, 'content': block_content, 'script': block_script}
debug_info = '1=12&2=17&3=36&4=51&5=67&6=92&10=96&11=98&14=101&16=110&17=114&22=117&28=122&29=125&30=127&31=129&32=136&33=143&34=149&36=156&39=159&40=163&46=190&48=201'