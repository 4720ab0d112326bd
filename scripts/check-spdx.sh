#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check-spdx.sh: every source, header, script and CMake file of the project
# carries an SPDX-License-Identifier line in its first three lines (after a
# shebang). Data files (JSON, fixtures, docs, linker maps) are not checked;
# nor is .ci/ (the CI runner's own). Lists each file without one; exit 1 if any.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
missing=0
checked=0
while IFS= read -r -d '' f; do
	f=${f#./}
	case $f in
	*.c | *.h | *.cpp | *.hpp | *.sh | *.py | *.cmake | */CMakeLists.txt | CMakeLists.txt) ;;
	*) head -c 2 "$f" 2>/dev/null | grep -q '^#!' || continue ;; # other scripts
	esac
	checked=$((checked + 1))
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: '; then
		echo "check-spdx: $f: no SPDX-License-Identifier line in its first 3 lines"
		missing=$((missing + 1))
	fi
done < <(find . \( -path ./build -o -path ./.git -o -path ./.ci -o -path ./tests/tool/hostroot \) -prune \
	-o -type f -print0)
if ((missing)); then
	echo "check-spdx: $missing of $checked files lack an SPDX line (add '// SPDX-License-Identifier: BSD-3-Clause', or /* */ or # as the language wants)"
	exit 1
fi
echo "check-spdx: $checked files carry an SPDX line"
