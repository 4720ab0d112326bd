#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# rc_table_check.sh RC_H CORE_MD: the return-code table of docs/core.md lists
# the names and values of vfio/rc.h, in the same order, and nothing else.
set -euo pipefail
rc=$(sed -n 's/^[[:space:]]*\(RC_[A-Z_]*\) = \([0-9]*\),.*/\1 \2/p' "$1" | grep -v '^RC_OK ')
doc=$(sed -n 's/^| `\(RC_[A-Z_]*\)` | \([0-9]*\) |.*/\1 \2/p' "$2")
if [[ -z $rc || $rc != "$doc" ]]; then
	echo "FAIL: the table in $2 does not mirror $1:"
	diff <(echo "$rc") <(echo "$doc") || true
	exit 1
fi
echo "PASS: $(wc -l <<<"$rc") return codes, the same in both"
