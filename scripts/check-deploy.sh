#!/usr/bin/env bash
# Static checks of the container image and the manifests, run by scripts/test.sh (no container
# engine or cluster runs on these machines):
#   1. checkov's Dockerfile and Kubernetes policies (Dockerfile, deploy/kubernetes): no failure;
#      each skip is annotated in the file with its reason;
#   2. the Kubernetes API's own schemas (kubernetes-validate, strict: unknown fields fail);
#   3. the Seldon Core 2 resources (deploy/seldon) against deploy/seldon/schemas, and the
#      Pipeline there is the one examples/chatbot serves;
#   4. the runtime stage's libraries: the Debian packages holding what the built binary (and the
#      Swift runtime it carries statically) links, beyond the base image's, are exactly the
#      library packages the Dockerfile installs.
# Usage: scripts/check-deploy.sh [BINARY]   (default .build/debug/inferwire)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/inferwire}"
[ -x "$binary" ] || { echo "no $binary: swift build first" >&2; exit 1; }

venv=.build/deploy-venv
stamp="$venv/requirements.sha256"
wanted="$(sha256sum scripts/deploy-requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/deploy-requirements.txt
    echo "$wanted" > "$stamp"
fi

echo "== checkov: Dockerfile"
# (checkov tries to fetch guideline links from its vendor first; offline that is a warning only)
"$venv/bin/checkov" -f Dockerfile --framework dockerfile --quiet --compact 2>/dev/null
echo "== checkov: deploy/kubernetes"
"$venv/bin/checkov" -d deploy/kubernetes --framework kubernetes --quiet --compact 2>/dev/null
echo "== Kubernetes API schemas (1.30, strict)"
"$venv/bin/kubernetes-validate" -k 1.30.0 --strict --quiet deploy/kubernetes/*.yaml
echo "== Seldon Core 2 resources"
"$venv/bin/python" - <<'PY'
import glob, json, sys
import jsonschema, yaml
schemas = {kind: json.load(open(f"deploy/seldon/schemas/{kind.lower()}.schema.json")) for kind in ("Model", "Pipeline", "Server")}
count = 0
for path in sorted(glob.glob("deploy/seldon/*.yaml")):
    for document in yaml.safe_load_all(open(path)):
        if document is None:
            continue
        schema = schemas.get(document.get("kind"))
        if schema is None:
            sys.exit(f"{path}: no schema for kind {document.get('kind')}")
        try:
            jsonschema.validate(document, schema)
        except jsonschema.ValidationError as error:
            sys.exit(f"{path}: {document['kind']} {document.get('metadata', {}).get('name')}: {error.message} at {list(error.absolute_path)}")
        count += 1
served = yaml.safe_load(open("examples/chatbot/chatbot/pipeline.yaml"))
deployed = yaml.safe_load(open("deploy/seldon/pipeline.yaml"))
if served != deployed:
    sys.exit("deploy/seldon/pipeline.yaml differs from examples/chatbot/chatbot/pipeline.yaml")
print(f"{count} resources valid; the Pipeline is the one examples/chatbot serves")
PY
echo "== runtime libraries"
# What the base image has: glibc, libstdc++, libgcc, zlib.
base="libc6 libstdc++6 libgcc-s1 zlib1g"
# Every shared object ldd resolves, and the direct needs of the binary and of the Swift
# toolchain's libraries (linked statically into the image's release build).
declare -A path_of
while read -r name arrow path rest; do
    [ "$arrow" = "=>" ] && [ -n "$path" ] && path_of["$name"]="$path"
done < <(ldd "$binary")
objects=("$binary")
for name in "${!path_of[@]}"; do
    case "${path_of[$name]}" in */swift/*|*/usr/lib/swift*|*toolchain*) objects+=("${path_of[$name]}") ;; esac
done
# The Debian package that holds a file (dpkg records /lib or /usr/lib, whichever the package used).
package_of() {
    local resolved; resolved="$(readlink -f "$1")"
    for candidate in "$1" "$resolved" "${resolved#/usr}" "/usr${1#/usr}"; do
        dpkg -S "$candidate" 2>/dev/null | awk -F: 'NR == 1 {print $1}' | grep . && return 0
    done
    echo "no Debian package holds $1" >&2
    return 1
}
needed=()
for object in "${objects[@]}"; do
    while read -r soname; do
        path="${path_of[$soname]:-}"
        case "$path" in ""|*/swift/*|*toolchain*) continue ;; esac
        needed+=("$(package_of "$path")")
    done < <(readelf -d "$object" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
done
required="$(printf '%s\n' "${needed[@]}" | sort -u | grep -vxF -f <(tr ' ' '\n' <<< "$base") || true)"
installed="$(sed -n '/^FROM debian/,$p' Dockerfile | grep -o 'install -y --no-install-recommends[^&]*' | tr ' ' '\n' | grep '^lib' | sort -u)"
echo "the binary and the ${#objects[@]} Swift runtime libraries it carries link, beyond the base image: $(echo $required)"
echo "the Dockerfile's runtime stage installs: $(echo $installed)"
if [ "$required" != "$installed" ]; then
    echo "the runtime stage's libraries do not match what the binary links" >&2
    exit 1
fi
echo "deploy checks passed"
