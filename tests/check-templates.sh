#!/bin/sh
# check-templates.sh: every value reaches HTML escaped. ClearSilver's escape hatches
# (uvar, alt, name, evar, lvar, escape:"none", linclude) are not allowed in templates/.
set -u
hits=$(grep -nE '<\?cs *(uvar|alt|name|evar|lvar|linclude) *:|escape: *"none"' templates/*.cs)
if [ -n "$hits" ]; then
  echo "templates: unescaped ClearSilver output found:"
  echo "$hits"
  echo "template-lint: 0 passed, 1 failed"
  exit 1
fi
n=$(ls templates/*.cs | wc -l)
echo "template-lint: $n templates checked, no escape hatches"
