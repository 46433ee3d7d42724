from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'error.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'error.html')
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
    l_0_error = resolve('error')
    pass
    yield escape(environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'title'))
    yield ' · ThingSpeak Glance'

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_error = resolve('error')
    pass
    yield '<section class="error">\n  <h1>'
    yield escape(environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'title'))
    yield '</h1>\n  <p>'
    yield escape(environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'message'))
    yield '</p>\n'
    if environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'fix'):
        pass
        yield '  <p>To fix it: '
        yield escape(environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'fix'))
        yield '</p>\n'
    if (environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'code') == 'read_api_key_unavailable'):
        pass
        yield '  <p>Nothing was asked of ThingSpeak: the key is needed first.</p>\n'
    elif (environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'code') in ('not_found', 'bad_request')):
        pass
        yield '  <p><a href="/">Go to the latest reading</a>.</p>\n'
    elif (environment.getattr((undefined(name='error') if l_0_error is missing else l_0_error), 'code') not in ('read_api_key_required', 'channel_not_found')):
        pass
        yield '  <p>This is usually brief: try again in a minute.</p>\n'
    yield '</section>\n'

blocks = {'title': block_title, 'content': block_content}
debug_info = '1=12&2=17&3=29&5=39&6=41&7=43&8=46&10=48&12=51&14=54'