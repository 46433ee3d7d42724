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
    l_0_reading = resolve('reading')
    l_0_labelled = resolve('labelled')
    try:
        t_1 = environment.tests['defined']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No test named 'defined' found.")
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
        yield '"'
        if (environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'what') != 'reading'):
            pass
            yield ' data-what="'
            yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'what'))
            yield '"'
        yield '><path d="'
        yield escape(environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'path'))
        yield '"/></svg>\n'
        l_0_labelled = ((t_1((undefined(name='reading') if l_0_reading is missing else l_0_reading)) and environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline')) and (environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'number') == environment.getattr(environment.getattr((undefined(name='reading') if l_0_reading is missing else l_0_reading), 'headline'), 'number')))
        context.vars['labelled'] = l_0_labelled
        context.exported_vars.add('labelled')
        yield '<div class="ax'
        if (undefined(name='labelled') if l_0_labelled is missing else l_0_labelled):
            pass
            yield ' lb'
        yield '" aria-hidden="true">'
        for l_1_t in environment.getattr((undefined(name='trend') if l_0_trend is missing else l_0_trend), 'ticks'):
            _loop_vars = {}
            pass
            yield '<i class="p'
            yield escape(environment.getattr(l_1_t, 'p'))
            yield '">'
            if ((undefined(name='labelled') if l_0_labelled is missing else l_0_labelled) and environment.getattr(l_1_t, 'label')):
                pass
                yield '<span>'
                yield escape(environment.getattr(l_1_t, 'label'))
                yield '</span>'
            yield '</i>'
        l_1_t = missing
        yield '</div>\n<figcaption><span data-span>'
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
        yield '</span>\n<span class="today" data-today'
        if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'sums'):
            pass
            yield ' data-sums="'
            yield escape(environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'sums'))
            yield '"'
        yield ' hidden>Today'
        if environment.getattr((undefined(name='field') if l_0_field is missing else l_0_field), 'sums'):
            pass
            yield ' total <b></b>'
        else:
            pass
            yield ' min <b></b> max <b></b>'
        yield '</span></figcaption>\n</figure>\n'

blocks = {}
debug_info = '1=21&2=23&4=27&5=55&6=59&7=77&8=95'