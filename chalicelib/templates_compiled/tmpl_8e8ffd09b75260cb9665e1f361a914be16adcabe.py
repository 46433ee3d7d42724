from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_value.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_field = resolve('field')
    try:
        t_1 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    if t_1(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'display')):
        pass
        yield '<span class="dash" aria-hidden="true">–</span><span class="visually-hidden">no value</span>'
    elif environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'numeric'):
        pass
        if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'compass'):
            pass
            yield '<span class="compass">'
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'compass'))
            yield '</span> '
        yield '<span class="number" data-v="'
        yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'display'))
        yield '">'
        yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'display'))
        yield '</span>'
        if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'):
            pass
            yield '<span class="unit" data-u="'
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'))
            yield '">'
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'))
            yield '</span>'
    else:
        pass
        yield '<span class="text">'
        yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'display'))
        yield '</span>'

blocks = {}
debug_info = '1=18'