#!/usr/bin/env python3
"""Consistency check of the demo data transcribed from the seed reports.

Re-sums the budget lines of every table and compares them with the printed
totals (Summa / Resultat / Totalt rows); compares each line's printed
avvikelse with utfall - budget; checks the intäkt/kostnad split of seed 002;
and (informational) recomputes indicator trends with the DOMAIN rule.

Printed reports round to whole tkr, so differences of up to 1 tkr are
accepted. Anything larger is reported as "seedNNN line L: ..." and makes the
script exit with status 1.

Usage: python3 demo/check.py [-v]
"""
import json
import os
import sys
from decimal import ROUND_HALF_UP, Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = Decimal(1)
VERBOSE = '-v' in sys.argv
problems = []
checked = 0


def D(s):
    return None if s is None else Decimal(str(s))


def report(seed, line, msg, ok):
    global checked
    checked += 1
    text = f'seed{seed} line {line}: {msg}'
    if not ok:
        problems.append(text)
        print('MISMATCH ' + text)
    elif VERBOSE:
        print('ok       ' + text)


def amount(v):
    """a value in tkr: its kronor figure where it has one (it must round to the printed tkr)."""
    if 'amount_kr' in v:
        kr = D(v['amount_kr'])
        tkr = (kr / 1000).quantize(D(1), rounding=ROUND_HALF_UP)
        report('kronor', v.get('source_line'), f"amount_kr {kr} rounds to printed {v['amount_tkr']} tkr",
               tkr == D(v['amount_tkr']))
        return kr / 1000
    return D(v['amount_tkr'])


def value(line, measure, period=None):
    for v in line.get('values', []):
        if v['measure'] == measure and (period is None or v['period'] == period):
            return amount(v)
    return None


def result_conv(amount, costs_positive):
    """convert a printed amount into the result convention (income +, cost -)."""
    if amount is None:
        return None
    return -amount if costs_positive else amount


def check_seed(name, d):
    seed = name[4:7]
    lines = d.get('budget_lines', [])
    totals = d.get('printed_totals', [])

    # ---- 1. printed totals vs sum of lines
    for t in totals:
        if 'row' in t:
            continue  # row-based summary tables handled below
        members = [l for l in lines if l.get('table') == t['table']]
        if 'parent' in t:
            members = [l for l in members if l.get('parent') == t['parent']]
        m, p = t['measure'], t['period']
        s = Decimal(0)
        n = 0
        for l in members:
            if m in ('utfall', 'budget', 'driftkostnad'):
                src = l.get('values', []) + l.get('driftkostnad_konsekvens', [])
                vals = [amount(v) for v in src if v['measure'] == m and v['period'] == p]
                if vals:
                    s += vals[0]
                    n += 1
            else:  # printed derived columns: avvikelse, avvikelse_ack, prognos_avvikelse, kvar_av_arets_budget
                pr = l.get('printed', {})
                key = m
                if m == 'avvikelse' and 'avvikelse' not in pr and 'kvar_av_arets_budget' in pr:
                    key = 'kvar_av_arets_budget'
                if pr.get(key) is not None:
                    s += D(pr[key])
                    n += 1
        printed = D(t['amount_tkr'])
        diff = s - printed
        report(seed, t['source_line'],
               f"{t['table']} {m} {p}: printed {printed}, sum of {n} lines {s} (diff {diff})",
               abs(diff) <= TOL and n > 0)

    # ---- 2. per line: printed avvikelse vs utfall - budget (result convention)
    for l in lines:
        pr = l.get('printed', {})
        cp = l.get('costs_positive', False)
        target = pr.get('avvikelse', pr.get('kvar_av_arets_budget'))
        if target is None:
            continue
        per = pr.get('avvikelse_period')
        ut = [v for v in l['values'] if v['measure'] == 'utfall' and (per is None or v['period'] == per)]
        bu = [v for v in l['values'] if v['measure'] == 'budget' and (per is None or v['period'] == per)]
        if 'avvikelse' not in pr:  # "Kvar av årets budget": full-year budget minus utfall so far
            ut = [v for v in l['values'] if v['measure'] == 'utfall']
            bu = [v for v in l['values'] if v['measure'] == 'budget']
        if not ut or not bu:
            continue
        u = result_conv(amount(ut[0]), cp)
        b = result_conv(amount(bu[0]), cp)
        computed = u - b
        diff = computed - D(target)
        report(seed, l['source_line'],
               f"{l['table']} {l['name']}: printed avvikelse {target}, utfall-budget {computed} (diff {diff})",
               abs(diff) <= TOL)
        if pr.get('nettoavvikelse_analys') is not None:
            diff = computed - D(pr['nettoavvikelse_analys'])
            report(seed, l['source_line'],
                   f"{l['name']}: nettoavvikelse (verksamhetsanalys) {pr['nettoavvikelse_analys']} vs {computed}",
                   abs(diff) <= TOL)

    # ---- 3. intäkt/kostnad components (seed 002) vs net line
    for l in lines:
        comps = l.get('components')
        if not comps:
            continue
        for m in ('utfall', 'budget'):
            s = Decimal(0)
            for c in comps:
                for v in c['values']:
                    if v['measure'] == m:
                        s += result_conv(amount(v), c.get('costs_positive', False))
            net = result_conv(value(l, m, '2024'), l.get('costs_positive', False))
            diff = s - net
            report(seed, comps[0]['source_line'],
                   f"{l['code']} {l['name']} {m}: intäkt+kostnad {s} vs net line {net} (diff {diff})",
                   abs(diff) <= TOL)

    # ---- 4. row-based summary (seed 002 'driftresultat')
    rows = {}
    for t in totals:
        if 'row' in t:
            rows.setdefault(t['row'], {})[(t['measure'], t['period'])] = t
    if rows:
        comps = [c for l in lines for c in l.get('components', [])]
        for row, comp in (('Intäkter', 'intakt'), ('Kostnader', 'kostnad')):
            for m, p in (('utfall', '2024'), ('budget', '2024')):
                s = sum(amount(v) for c in comps if c['component'] == comp for v in c['values'] if v['measure'] == m)
                t = rows[row][(m, p)]
                report(seed, t['source_line'], f"driftresultat {row} {m} {p}: printed {t['amount_tkr']}, sum of components {s}",
                       abs(s - D(t['amount_tkr'])) <= TOL)
        for key in rows['Resultat']:
            t = rows['Resultat'][key]
            s = D(rows['Intäkter'][key]['amount_tkr']) + D(rows['Kostnader'][key]['amount_tkr'])
            report(seed, t['source_line'], f"driftresultat Resultat {key}: printed {t['amount_tkr']}, Intäkter+Kostnader {s}",
                   abs(s - D(t['amount_tkr'])) <= TOL)
        for row, r in rows.items():
            if ('utfall', '2024') in r and ('budget', '2024') in r and ('avvikelse', '2024') in r:
                s = D(r[('utfall', '2024')]['amount_tkr']) - D(r[('budget', '2024')]['amount_tkr'])
                t = r[('avvikelse', '2024')]
                report(seed, t['source_line'], f"driftresultat {row} avvikelse: printed {t['amount_tkr']}, utfall-budget {s}",
                       abs(s - D(t['amount_tkr'])) <= TOL)
        # the RS table's Summa (costs positive) must equal -Resultat
        rs = [t for t in totals if t['table'] == 'driftredovisning' and t['measure'] in ('utfall', 'budget')]
        for t in rs:
            res = D(rows['Resultat'][(t['measure'], t['period'])]['amount_tkr'])
            conv = result_conv(D(t['amount_tkr']), t.get('costs_positive', False))
            report(seed, t['source_line'], f"driftredovisning Summa {t['measure']} (result convention {conv}) vs driftresultat Resultat {res}",
                   abs(conv - res) <= TOL)


def trend(ind, threshold=Decimal('0.015')):
    vals = sorted((v['year'], D(v['value'])) for v in ind['values'] if v.get('gender', 'T') == 'T')
    if len(vals) < 2:
        return 'ej_jamforbar'
    (_, old), (_, new) = vals[-2], vals[-1]
    if old == 0:
        return 'ej_jamforbar'
    rel = (new - old) / abs(old)
    if abs(rel) < threshold:
        return 'oforandrad'
    better = rel > 0 if ind['polarity'] == 'hogre_ar_battre' else rel < 0
    return 'forbattrad' if better else 'forsamrad'


def check_indicators(name, d):
    seed = name[4:7]
    info = []
    for ind in d.get('indicators', []):
        t = trend(ind)
        if t != ind['printed_trend']:
            reason = ind.get('trend_override_reason')
            msg = (f"seed{seed} line {ind['source_line']}: trend of '{ind['name'][:60]}' computed {t}, "
                   f"printed {ind['printed_trend']}" + (f" (override: {reason})" if reason else ' (NO override reason)'))
            info.append(msg)
            if not reason:
                problems.append(msg)
    return info


def main():
    infos = []
    for name in sorted(os.listdir(HERE)):
        if name.startswith('seed') and name.endswith('.json'):
            with open(os.path.join(HERE, name), encoding='utf-8') as f:
                d = json.load(f)
            check_seed(name, d)
            infos += check_indicators(name, d)
    for i in infos:
        print('TREND    ' + i)
    print(f'{checked} sums/avvikelser checked, {len(problems)} problem(s)')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
