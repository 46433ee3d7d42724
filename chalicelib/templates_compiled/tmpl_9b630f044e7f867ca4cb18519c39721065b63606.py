from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_more.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_api_path = resolve('api_path')
    l_0_field = resolve('field')
    try:
        t_1 = environment.filters['replace']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'replace' found.")
    pass
    yield '<a class="more" href="'
    yield escape(t_1(context.eval_ctx, (undefined(name='api_path') if l_0_api_path is missing else l_0_api_path), '/api/d/', '/d/', 1))
    yield '/field/'
    yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'number'))
    yield '">History<span class="visually-hidden"> of '
    yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'label'))
    yield '</span></a>'

blocks = {}
debug_info = '1=20'