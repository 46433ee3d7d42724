from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'access.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'access.html')
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
    l_0_heading = resolve('heading')
    pass
    yield escape((undefined(name='heading') if l_0_heading is missing else l_0_heading))
    yield ' · ThingSpeak Glance'

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    pass
    yield "Sign in to this site's private dashboards with a passkey."

def block_main_attributes(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_mode = resolve('mode')
    l_0_next = resolve('next')
    pass
    yield ' data-access="'
    yield escape((undefined(name='mode') if l_0_mode is missing else l_0_mode))
    yield '" data-next="'
    yield escape((undefined(name='next') if l_0_next is missing else l_0_next))
    yield '"'

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_heading = resolve('heading')
    l_0_lead = resolve('lead')
    l_0_ready = resolve('ready')
    l_0_button = resolve('button')
    pass
    yield '<section class="access">\n  <h1>'
    yield escape((undefined(name='heading') if l_0_heading is missing else l_0_heading))
    yield '</h1>\n  <p>'
    yield escape((undefined(name='lead') if l_0_lead is missing else l_0_lead))
    yield '</p>\n'
    if (undefined(name='ready') if l_0_ready is missing else l_0_ready):
        pass
        yield '  <p><button type="button" id="access-go">'
        yield escape((undefined(name='button') if l_0_button is missing else l_0_button))
        yield '</button></p>\n'
    yield '  <p id="access-status" role="status" aria-live="polite"></p>\n  <p><a href="/">Public dashboards</a></p>\n</section>\n'

def block_script(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_script = resolve('script')
    pass
    yield '<script>'
    yield escape((undefined(name='script') if l_0_script is missing else l_0_script))
    yield '</script>'

blocks = {'title': block_title, 'description': block_description, 'main_attributes': block_main_attributes, 'content': block_content, 'script': block_script}
debug_info = '1=12&2=17&3=29&4=39&5=55&7=68&8=70&9=72&10=75&16=79'