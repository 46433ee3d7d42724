from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_sparkline.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_field = resolve('field')
    l_0_trend = resolve('trend')
    pass
    if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'sparkline'):
        pass
        l_0_trend = environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'sparkline')
        context.vars['trend'] = l_0_trend
        context.exported_vars.add('trend')
        yield '<figure class="trend">\n<svg viewBox="0 0 100 24" preserveAspectRatio="none" role="img" aria-label="'
        yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'label'))
        yield ' over the '
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'span_phrase'))
        yield ', from '
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'low'))
        yield ' to '
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'high'))
        if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'):
            pass
            yield ' '
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'))
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
        yield '"/></svg>\n<figcaption><span data-span>'
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'span'))
        yield '</span> <span>min <b data-v="'
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'low'))
        yield '">'
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'low'))
        yield '</b></span> <span>max <b data-v="'
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'high'))
        yield '">'
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'high'))
        yield '</b>'
        if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'):
            pass
            yield '<span data-u="'
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'))
            yield '">'
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'unit'))
            yield '</span>'
        yield '</span></figcaption>\n</figure>\n'

blocks = {}
debug_info = '1=13&2=15&4=19&5=43'