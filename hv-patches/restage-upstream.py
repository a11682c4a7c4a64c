#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate hv-patches/xen-staging/ from hv-patches/xen-4.20/.

    hv-patches/restage-upstream.py XEN_CHECKOUT [BASE]

Applies the 4.20 series with `git am -3` to BASE (default: the checkout's
staging branch) in a shared clone of XEN_CHECKOUT, resolves the mechanical
differences between 4.20.4 and staging that README.md ("Upstream form")
lists, and writes the result to xen-staging/.  A conflict it does not know
stops it: resolve that by hand, add it here, and say so in README.md.
Then run check-upstream.sh.  A fix made to xen-4.20/ reaches xen-staging/
this way, so that the two stay in step.
"""
import subprocess, sys, re, os, glob, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
S, OUT = os.path.join(HERE, 'xen-4.20'), os.path.join(HERE, 'xen-staging')
if len(sys.argv) not in (2, 3):
    sys.exit(__doc__)
XEN = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix='ptswitch-restage.')
subprocess.run(['git', 'clone', '-q', '--shared', '--no-checkout', XEN, TMP + '/xen'], check=True)
os.chdir(TMP + '/xen')
def resolve(ref):
    for r in (ref, 'origin/' + ref):
        p = subprocess.run(['git', 'rev-parse', '--verify', '-q', r + '^{commit}'],
                           capture_output=True, text=True)
        if p.returncode == 0:
            return p.stdout.strip()
    sys.exit(f'restage-upstream: {ref} is not a commit of {XEN}')
BASE = resolve(sys.argv[2] if len(sys.argv) == 3 else 'staging')
subprocess.run('git config user.name restage && git config user.email restage@invalid', shell=True, check=True)
def sh(c, check=True):
    r = subprocess.run(c, shell=True, capture_output=True, text=True)
    if check and r.returncode: print(c, r.stdout, r.stderr); sys.exit(1)
    return r
def sub_conflicts(p, f):
    s = open(p).read()
    s2 = re.sub(r"<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n", lambda m: f(m.group(1), m.group(2)), s, flags=re.S)
    open(p, 'w').write(s2)
def fix_domain_h(h, t):
    # The include list changed upstream; the new fields go after the PV32 ones.
    if '#include' in h:
        return h.rstrip('\n') + '\n#include <asm/pv/pt-mode.h>\n\n'
    return h + '\n' + t
FIX = {
 'xen/arch/x86/include/asm/domain.h': fix_domain_h,
 'tools/flask/policy/modules/dom0.te': lambda h, t: h.replace("\tget_domain_state\n};", "\tget_domain_state\n\tpt_mode\n};"),
 'tools/flask/policy/modules/xen.if': lambda h, t: h.replace("\t\tget_domain_state\n", "\t\tget_domain_state\n\t\tpt_mode\n"),
 'xen/include/public/domctl.h': lambda h, t: h + t,
 'xen/xsm/flask/policy/access_vectors': lambda h, t: h + t,
 'xen/arch/x86/Kconfig': lambda h, t: t[:t.index('config HVM')] + h,
}
def fix_rejects(patchfile):
    for rej in glob.glob('**/*.rej', recursive=True):
        f = rej[:-4]
        r = open(rej).read()
        if f == 'xen/include/public/xen.h' and 'MMUEXT_FLUSH_PT_BATCH' in r:
            s = open(f).read()
            s = s.replace('#define MMUEXT_UNMARK_SUPER     20\n', '#define MMUEXT_UNMARK_SUPER     20\n#define MMUEXT_FLUSH_PT_BATCH   0x7074\n', 1)
            open(f, 'w').write(s)
        elif f == 'xen/arch/x86/traps.c' and '+static int fixup_page_fault(unsigned long addr' in r:
            i = r.index('+static int fixup_page_fault(unsigned long addr')
            j = r.index(' void asmlinkage do_page_fault', i)
            body = ''.join(l[1:] + '\n' for l in r[i:j].splitlines())
            s = open(f).read()
            k = s.index('static void handle_PF(struct cpu_user_regs *regs')
            open(f, 'w').write(s[:k] + body + s[k:])
        elif f == 'xen/arch/x86/Kconfig' and '+config PT_BATCH_AUDIT' in r:
            # 0017: the option goes after PT_BATCH_WIDEN_RACES, whose
            # neighbours differ upstream (see 0007).
            block = ''.join(l[1:] + '\n' for l in r.splitlines() if l.startswith('+'))
            s = open(f).read()
            i = s.index('config PT_BATCH_WIDEN_RACES')
            j = s.index('\t  If unsure, say N.\n', i) + len('\t  If unsure, say N.\n')
            open(f, 'w').write(s[:j] + '\n' + block.rstrip('\n') + '\n' + s[j:])
        else:
            print('UNKNOWN reject', rej); print(r); sys.exit(1)
        os.remove(rej)
sh(f'git checkout -q -f -B up2 {BASE}')
sh('git clean -qfd')
for p in [l.strip() for l in open(S + '/series') if l.strip() and not l.startswith('#')]:
    pf = f'{S}/{p}'
    r = sh(f'git am -3 -q {pf}', check=False)
    if r.returncode == 0: continue
    unmerged = sh('git diff --name-only --diff-filter=U').stdout.split()
    if unmerged:
        for f in unmerged:
            if f not in FIX: print('UNKNOWN conflict', f); sys.exit(1)
            sub_conflicts(f, FIX[f])
    else:
        sh(f'git am --show-current-patch=diff > /tmp/cur.diff')
        sh('git apply --reject /tmp/cur.diff', check=False)
        fix_rejects(pf)
    left = sh("grep -rl '^<<<<<<< ' -- xen tools || true").stdout.strip()
    if left: print('markers left', left); sys.exit(1)
    sh('git add -A'); sh('git am --continue -q')
    print('resolved', p)
c = sh(f"git log --format=%H -S'is_shutting_down' {BASE}..HEAD").stdout.split()
if c:
    sh("sed -i 's/!d->is_dying \\&\\& !d->is_shutting_down \\&\\&/!d->is_dying \\&\\& !domain_shutting_down(d) \\&\\&/' xen/arch/x86/pv/pt-batch.c")
    subj = sh(f'git log -1 --format=%s {c[-1]}').stdout.strip()
    sh(f'git commit -qam "fixup! {subj}"')
    sh(f'GIT_SEQUENCE_EDITOR=true git rebase -q -i --autosquash {BASE}')
assert 'is_shutting_down' not in open('xen/arch/x86/pv/pt-batch.c').read()
# 0017: staging's sort() takes a swap function without the size argument.
if 'void (*swap)(void *a, void *b))' in open('xen/include/xen/sort.h').read():
    a = open('xen/arch/x86/pv/pt-audit.c').read()
    a = a.replace('static void swap_page(void *a, void *b, size_t size)', 'static void swap_page(void *a, void *b)')
    a = a.replace('    (void)size; /* Always sizeof(t). */\n', '')
    open('xen/arch/x86/pv/pt-audit.c', 'w').write(a)
    c = sh(f"git log --format=%H -- xen/arch/x86/pv/pt-audit.c {BASE}..HEAD").stdout.split()
    subj = sh(f'git log -1 --format=%s {c[-1]}').stdout.strip()
    sh(f'git commit -qam "fixup! {subj}"')
    sh(f'GIT_SEQUENCE_EDITOR=true git rebase -q -i --autosquash {BASE}')
for f in glob.glob(OUT + '/*.patch'): os.remove(f)
sh(f'git format-patch -q --zero-commit --no-signature -o {OUT} {BASE}..HEAD')
names = sorted(os.path.basename(x) for x in glob.glob(OUT + '/*.patch'))
with open(OUT + '/series', 'w') as f:
    f.write('# ptswitch hypervisor series rebased on upstream Xen staging (the upstream\n# form; hv-patches/check-upstream.sh applies it with git am and builds it).\n')
    f.write(''.join(n + '\n' for n in names))
print(len(names), 'patches on', BASE, '->', OUT)
subprocess.run(['rm', '-rf', TMP])
