#!/usr/bin/env bash
# infra/hunspell.sh <target-dir>
# Populates <target-dir>/ru_RU/ru_RU.{aff,dic} and <target-dir>/en_US/en_US.{aff,dic}
# from the Debian packages hunspell-ru and hunspell-en-us, i.e. the layout Elasticsearch
# expects under config/hunspell/. Used for the local Elasticsearch and for the
# docker-compose mount, so both analyze text with the same dictionaries.
#
# Also writes <target-dir>/ru_RU_yofold/: the same Russian dictionary with ё folded to е
# (dictionary and affixes rewritten, plus an ICONV rule so input ё is read as е).
# With locale ru_RU "ёлки" stems to "ёлка" but "елки" to "елка" (two different terms);
# with ru_RU_yofold both give "елка". ES core has no mapping char_filter to do this.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target=${1:-}
[[ -n "$target" ]] || die "usage: $(basename "$0") <target-dir>"

ensure_apt hunspell-ru hunspell-en-us

# locale:debian-package
for spec in ru_RU:hunspell-ru en_US:hunspell-en-us; do
  loc=${spec%%:*} pkg=${spec#*:}
  mkdir -p "$target/$loc"
  for ext in aff dic; do
    src=/usr/share/hunspell/$loc.$ext
    if [[ ! -e "$src" ]]; then # fall back to wherever the package put it
      src=$(dpkg -L "$pkg" | grep -E "/$loc\.$ext\$" | head -n 1 || true)
    fi
    [[ -n "$src" && -e "$src" ]] || die "hunspell: $loc.$ext not found in package $pkg"
    # -L: the Debian files may be symlinks; copy the content. Only when changed.
    cmp -s "$src" "$target/$loc/$loc.$ext" 2>/dev/null || cp -L "$src" "$target/$loc/$loc.$ext"
  done
done

# ё-folded Russian variant
src_aff=$target/ru_RU/ru_RU.aff src_dic=$target/ru_RU/ru_RU.dic
yo=$target/ru_RU_yofold
mkdir -p "$yo"
tmp=$(mktemp -d)
awk 'BEGIN{done=0} {print} /^SET /&&!done{print "ICONV 2"; print "ICONV ё е"; print "ICONV Ё Е"; done=1}' "$src_aff" \
  | sed '/^ICONV/!y/ёЁ/еЕ/' >"$tmp/ru_RU_yofold.aff"
sed 'y/ёЁ/еЕ/' "$src_dic" >"$tmp/ru_RU_yofold.dic"
for f in ru_RU_yofold.aff ru_RU_yofold.dic; do
  cmp -s "$tmp/$f" "$yo/$f" 2>/dev/null || cp "$tmp/$f" "$yo/$f"
done
rm -rf "$tmp"
chmod -R a+rX "$target"
