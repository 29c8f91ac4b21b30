#!/usr/bin/env python3
"""Derives the rollout truth of a lab recording from its audit log.

    python3 testdata/truth.py testdata/lab-scaling/audit.log.gz

For each Deployment, StatefulSet and DaemonSet it prints every write that
changed the pod template (who, when, the generation it made) and when the
controller's status first showed that generation finished: observedGeneration
caught up and every replica updated and available (a StatefulSet: updated and
ready; with RollingUpdate also currentRevision = updateRevision), or the
Deployment's ProgressDeadlineExceeded condition. Scale writes (the scale
subresource, or a spec.replicas-only change) are listed as scaling. The README
truth tables come from this output; nothing here is read by the tests.
"""
import gzip, json, sys, hashlib

def canon(v):
    return hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:10]

recs = [json.loads(l) for l in gzip.open(sys.argv[1], 'rt')]
recs.sort(key=lambda r: r.get('stageTimestamp', ''))
def controller(user):
    return user.startswith('system:serviceaccount:kube-system:') or user.startswith('system:kube-')

state = {}  # (kind, ns, name) -> dict
out = []
for r in recs:
    ref = r.get('objectRef') or {}
    res, sub = ref.get('resource'), ref.get('subresource')
    if ref.get('apiGroup') != 'apps' or res not in ('deployments', 'statefulsets', 'daemonsets'):
        continue
    code = (r.get('responseStatus') or {}).get('code', 200)
    obj = r.get('responseObject') or {}
    if code >= 400 or obj.get('kind') not in ('Deployment', 'StatefulSet', 'DaemonSet', 'Scale'):
        continue
    key = (res, ref.get('namespace'), ref.get('name'))
    st = state.setdefault(key, {'tmpl': None, 'replicas': None, 'open': None, 'since': ''})
    t = r['stageTimestamp'][11:23]
    user = r['user']['username']
    if obj.get('kind') == 'Scale':
        n = obj['spec'].get('replicas')
        if n != st['replicas']:
            out.append(f"{t} {key[1]}/{key[2]} scale {st['replicas']} -> {n} by {user} ({r['verb']} {res}/scale)")
            st['replicas'] = n
        continue
    spec, status, md = obj.get('spec', {}), obj.get('status', {}), obj.get('metadata', {})
    if sub is None and r['verb'] in ('create', 'update', 'patch'):
        tmpl = canon(spec.get('template'))
        if r['verb'] == 'delete':
            continue
        if tmpl != st['tmpl'] and not controller(user):
            out.append(f"{t} {key[1]}/{key[2]} template {r['verb']} by {user}, generation {md.get('generation')}"
                       f" ({spec.get('strategy', spec.get('updateStrategy', {})).get('type')})")
            st['open'], st['since'] = md.get('generation'), r['stageTimestamp']
        elif spec.get('replicas') != st['replicas'] and st['replicas'] is not None and not controller(user):
            out.append(f"{t} {key[1]}/{key[2]} scale {st['replicas']} -> {spec.get('replicas')} by {user}")
        elif not controller(user):
            out.append(f"{t} {key[1]}/{key[2]} spec {r['verb']} by {user} (template unchanged)")
        st['tmpl'], st['replicas'] = tmpl, spec.get('replicas')
    if sub == 'status' and st['open'] is not None:
        g = status.get('observedGeneration', 0)
        want = spec.get('replicas')
        if res == 'deployments':
            for c in status.get('conditions', []):
                if c.get('reason') == 'ProgressDeadlineExceeded' and c.get('lastUpdateTime', '') >= st['since'][:19]:
                    out.append(f"{t} {key[1]}/{key[2]} generation {st['open']} ProgressDeadlineExceeded")
                    st['open'] = None
                    break
            else:
                if g >= st['open'] and status.get('updatedReplicas') == want and status.get('availableReplicas') == want and status.get('replicas') == want:
                    out.append(f"{t} {key[1]}/{key[2]} generation {st['open']} complete ({want} updated, available)")
                    st['open'] = None
        elif res == 'statefulsets':
            rolling = (spec.get('updateStrategy') or {}).get('type', 'RollingUpdate') == 'RollingUpdate'
            part = ((spec.get('updateStrategy') or {}).get('rollingUpdate') or {}).get('partition', 0)
            if g >= st['open'] and status.get('updatedReplicas') == want and status.get('readyReplicas') == want and \
                    (not rolling or part > 0 or status.get('currentRevision') == status.get('updateRevision')):
                out.append(f"{t} {key[1]}/{key[2]} generation {st['open']} complete ({want} updated, ready, revision {status.get('updateRevision')})")
                st['open'] = None
        else:
            d = status.get('desiredNumberScheduled')
            if g >= st['open'] and d and status.get('updatedNumberScheduled') == d and status.get('numberAvailable') == d:
                out.append(f"{t} {key[1]}/{key[2]} generation {st['open']} complete ({d} updated, available)")
                st['open'] = None
print('\n'.join(out))
