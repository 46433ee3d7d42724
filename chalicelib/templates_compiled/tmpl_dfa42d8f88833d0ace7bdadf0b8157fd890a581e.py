from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_when.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_reading = resolve('reading')
    l_0_when = resolve('when')
    pass
    yield 'Measured <time datetime="'
    yield escape(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'created_at_iso'))
    yield '">'
    yield escape(environment.getattr((undefined(name='when') if l_0_when is missing else l_0_when), 'text'))
    yield '</time>, <span class="ago" data-ago>'
    yield escape(environment.getattr((undefined(name='when') if l_0_when is missing else l_0_when), 'ago'))
    yield '</span> <strong class="badge" data-stale'
    if (not environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'stale')):
        pass
        yield ' hidden'
    yield '>Stale</strong>'

blocks = {}
debug_info = '1=14'