# Which files a traced kernel build used, from
#   strace -f -qq -e signal=none -e trace=execve,chdir,fchdir,open,openat,
#     stat,lstat,newfstatat,statx,access,faccessat,faccessat2,readlink,
#     readlinkat,clone,clone3,fork,vfork -o LOG make ...
# Run as: awk -v tree=TREE -f kbuild-files.awk LOG LOG
# (two passes: the first learns who forked whom).  TREE is the absolute
# path of the source tree make started in.  Prints one line per path that
# was found (the call succeeded), without repeats:
#   T rel     a path inside TREE (relative to it)
#   H abs     a path outside TREE
#   X abs     a program that was executed (inside or outside TREE)
# Relative paths are resolved against the process's working directory
# (chdir, inherited at fork).  Calls relative to a directory descriptor,
# and calls after fchdir (mkdir -p, rm -r), are left out: they only
# create or remove files.

function norm(p,    n, i, parts, out, k) {
	n = split(p, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".")
			continue
		if (parts[i] == "..") {
			if (k > 0)
				k--
			continue
		}
		out[++k] = parts[i]
	}
	p = ""
	for (i = 1; i <= k; i++)
		p = p "/" out[i]
	return p == "" ? "/" : p
}

# The first string argument of the call text S, or "" when there is none.
function first_string(s,    i, j) {
	i = index(s, "\"")
	if (i == 0)
		return ""
	s = substr(s, i + 1)
	j = index(s, "\"")
	return j == 0 ? "" : substr(s, 1, j - 1)
}

function emit(kind, p) {
	if (!((kind, p) in seen)) {
		seen[kind, p] = 1
		print kind, p
	}
}

# A relative path is resolved against the process's working directory
# and, in case that was followed wrongly, against TREE as well, where
# make works: a path too many costs a file in the guest, one too few
# breaks its build.
function record(pid, path, kind) {
	if (path == "")
		return
	if (substr(path, 1, 1) == "/") {
		record_abs(norm(path), kind)
		return
	}
	if (pid in cwd && cwd[pid] != "")
		record_abs(norm(cwd[pid] "/" path), kind)
	record_abs(norm(tree "/" path), kind)
}

function record_abs(abs, kind) {
	if (kind == "X")
		emit("X", abs)
	if (abs == tree)
		return
	if (index(abs, tree "/") == 1)
		emit("T", substr(abs, length(tree) + 2))
	else
		emit("H", abs)
}

# The whole text of a call: an unfinished call is kept until it resumes.
function call_text(pid, line,    i) {
	if (line ~ /<unfinished \.\.\.>$/) {
		sub(/ <unfinished \.\.\.>$/, "", line)
		pending[pid] = line
		return ""
	}
	if (line ~ /^<\.\.\. [a-z0-9_]+ resumed>/) {
		i = index(line, "resumed>")
		line = pending[pid] substr(line, i + 8)
		delete pending[pid]
	}
	return line
}

BEGIN {
	tree = norm(tree)
}

# Pass 1: parents.  Process ids are reused in a long build (pid_max is
# often 32768): life k of pid CHILD starts when the fork call that
# returned it started, at line born[CHILD, k] (its first calls can be
# logged before the fork returns); parent[CHILD, k] made that call.
FNR == NR {
	if ($2 ~ /^(clone|clone3|vfork|fork)\(/)
		forking[$1] = FNR
	if ($2 ~ /^(clone|clone3|vfork|fork)\(/ ||
	    $2 ~ /^<\.\.\.$/ && $3 ~ /^(clone|clone3|vfork|fork)$/) {
		if ($NF ~ /^[0-9]+$/ && $(NF - 1) == "=") {
			k = ++lives[$NF]
			born[$NF, k] = ($2 == "<...") ? forking[$1] : FNR
			parent[$NF, k] = $1
		}
	}
	next
}

# Pass 2.
{
	pid = $1
	# strace pads short pids: "123   openat(...".
	line = $0
	sub(/^[0-9]+ +/, "", line)
	if (!(pid in life)) {
		life[pid] = 0
		cwd[pid] = tree
	}
	while (life[pid] < lives[pid] && FNR > born[pid, life[pid] + 1]) {
		k = ++life[pid]
		p = parent[pid, k]
		cwd[pid] = (p in cwd) ? cwd[p] : tree
		delete pending[pid]
	}
	line = call_text(pid, line)
	if (line == "")
		next
	name = line
	sub(/\(.*/, "", name)
	ret = line
	sub(/.*\) += /, "", ret)
	ok = ret ~ /^[0-9]/
	args = substr(line, length(name) + 2)
	if (name == "fork" || name == "vfork" || name ~ /^clone/)
		next
	if (name == "fchdir") {
		if (ok)
			cwd[pid] = ""
		next
	}
	if (!ok)
		next
	if (name == "chdir") {
		p = first_string(args)
		if (substr(p, 1, 1) == "/")
			cwd[pid] = norm(p)
		else if (cwd[pid] != "")
			cwd[pid] = norm(cwd[pid] "/" p)
		next
	}
	# *at calls: only those relative to the working directory.
	if (name ~ /^(openat|newfstatat|statx|faccessat2?|readlinkat)$/ &&
	    args !~ /^AT_FDCWD, /)
		next
	record(pid, first_string(args), name == "execve" ? "X" : "")
}
