#!/usr/bin/env bash
# Put `# yaml-language-server: $schema=<relative path>/docs/scenario.schema.json` on the first
# line of every scenario file under scenarios/ (or the given directories) that lacks it, so
# editors running yaml-language-server complete and check scenarios against the schema.
# A file whose first line is an older modeline gets it replaced. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(scenarios)
changed=0
while IFS= read -r -d '' f; do
    rel=$(realpath --relative-to="$(dirname "$(realpath "$f")")" "$root/docs/scenario.schema.json")
    line="# yaml-language-server: \$schema=$rel"
    first=$(head -n 1 "$f")
    [ "$first" = "$line" ] && continue
    tmp=$(mktemp "$(dirname "$f")/.modeline.XXXXXX")
    {
        printf '%s\n' "$line"
        if [[ "$first" == "# yaml-language-server:"* ]]; then tail -n +2 "$f"; else cat "$f"; fi
    } >"$tmp"
    chmod --reference="$f" "$tmp"
    mv "$tmp" "$f"
    echo "schema line: $f"
    changed=$((changed + 1))
done < <(find "${dirs[@]}" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
echo "schema line added or fixed in $changed file(s)"
