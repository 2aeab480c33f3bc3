#!/usr/bin/env bash
# update-data.sh: refreshes the data files the email validation stage reads at run time.
#
#  1. data/disposable_domains.txt, the disposable-domain list behind the `disposable` risk flag.
#     Source: index.json of the MIT-licensed npm package `disposable-email-domains`, fetched with
#     `npm pack` (the ordinary npm client; no install, no scripts run). The file keeps a header of
#     `#` lines naming the package, its version, its licence and the date of the refresh.
#  2. The Public Suffix List (top-level-domain check). It comes from Debian's `publicsuffix`
#     package (/usr/share/publicsuffix/public_suffix_list.dat, read through libpsl), so it is
#     refreshed with apt-get when run as root; otherwise the command to run is printed.
#
# Idempotent: when the package version and the domain list are unchanged, the file is left
# untouched (its date line included), so running it twice changes nothing.
#
# Usage: scripts/update-data.sh [--no-psl] [npm-version-spec]
#   --no-psl          skip step 2
#   npm-version-spec  e.g. 1.0.62 to pin a version (default: latest)
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${repo_dir}/data/disposable_domains.txt"
do_psl=1
spec="disposable-email-domains"
for arg in "$@"; do
  case "${arg}" in
    --no-psl) do_psl=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) spec="disposable-email-domains@${arg}" ;;
  esac
done

for tool in npm node tar; do
  command -v "${tool}" >/dev/null || { echo "update-data.sh: ${tool} is required" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

# Step 1: the disposable-domain list.
(cd "${work}" && npm pack --silent "${spec}" >/dev/null)
tar -xzf "${work}"/disposable-email-domains-*.tgz -C "${work}"
pkg="${work}/package"
version="$(node -p "require('${pkg}/package.json').version")"
license="$(node -p "require('${pkg}/package.json').license")"
# index.json is a JSON array of domains; one per line, sorted bytewise, duplicates removed.
node -e "for (const d of require('${pkg}/index.json')) console.log(String(d).trim().toLowerCase())" \
  | LC_ALL=C sort -u >"${work}/body.txt"
count="$(wc -l <"${work}/body.txt")"
if [ "${count}" -lt 1000 ]; then
  echo "update-data.sh: only ${count} domains in ${spec}; refusing to replace ${target}" >&2
  exit 1
fi

source_line="# source: npm package disposable-email-domains ${version} (index.json), https://github.com/ivolo/disposable-email-domains"
if [ -f "${target}" ] && grep -qxF "${source_line}" "${target}" \
   && cmp -s <(grep -v '^#' "${target}") "${work}/body.txt"; then
  echo "update-data.sh: ${target#"${repo_dir}"/} is up to date (disposable-email-domains ${version}, ${count} domains)"
else
  {
    echo "# Disposable e-mail domains: the email stage flags an address \`disposable\` when its domain or a"
    echo "# parent domain is listed here. One domain per line; non-ASCII lines are U-labels."
    echo "${source_line}"
    echo "# license: ${license}"
    echo "# fetched: $(date -u +%Y-%m-%d)"
    echo "# refresh with scripts/update-data.sh; do not edit by hand."
    cat "${work}/body.txt"
  } >"${work}/new.txt"
  mv "${work}/new.txt" "${target}"
  echo "update-data.sh: wrote ${target#"${repo_dir}"/} (disposable-email-domains ${version}, ${count} domains)"
fi

# Step 2: the Public Suffix List from Debian's publicsuffix package.
if [ "${do_psl}" -eq 1 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --only-upgrade publicsuffix
  else
    echo "update-data.sh: to refresh the public suffix list run as root:" \
         "apt-get update && apt-get install --only-upgrade publicsuffix"
  fi
  if command -v dpkg-query >/dev/null; then
    echo "update-data.sh: publicsuffix $(dpkg-query -W -f='${Version}' publicsuffix 2>/dev/null || echo '(not installed)')"
  fi
fi
