from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_field_table.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_view = resolve('view')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    pass
    yield '<table>\n<caption>The newest '
    yield escape(t_1(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'rows')))
    yield ' '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'whats'))
    if (t_1(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'samples')) > t_1(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'rows'))):
        pass
        yield ' (the CSV has all '
        yield escape(t_1(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'samples')))
        yield ')'
    yield '</caption>\n<thead><tr><th scope="col">Time</th><th scope="col">'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'label'))
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'):
        pass
        yield ' (<span data-u="'
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'))
        yield '">'
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unit'))
        yield '</span>)'
    yield '</th></tr></thead>\n<tbody>\n'
    for l_1_row in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'rows'):
        _loop_vars = {}
        pass
        yield '<tr><td><time datetime="'
        yield escape(environment.getattr(l_1_row, 'iso'))
        yield '" data-local'
        if environment.getattr(l_1_row, 'precise'):
            pass
            yield '="s"'
        yield '>'
        yield escape(environment.getattr(l_1_row, 'text'))
        yield '</time></td><td'
        if environment.getattr(l_1_row, 'numeric'):
            pass
            yield ' data-v="'
            yield escape(environment.getattr(l_1_row, 'display'))
            yield '"'
        yield '>'
        yield escape((environment.getattr(l_1_row, 'display') or '–'))
        yield '</td></tr>\n'
    l_1_row = missing
    yield '</tbody>\n</table>'

blocks = {}
debug_info = '2=19&3=28&5=37&6=41'