#!/usr/bin/env bash
# Publish the built book to a branch that GitHub Pages serves (default: gh-pages).
#
#   tools/deploy_pages.sh REMOTE [BRANCH]
#
# REMOTE is a remote name (origin) or a repository URL or path.  The published tree is
# _build/html, plus, once they exist, the PDF (_build/pdf/*.pdf -> pdf/) and the student
# notebooks (_build/student/ -> student/), and an empty .nojekyll (without it GitHub Pages runs
# Jekyll, which drops _static/ and _images/).  It is written as one commit, made in this
# repository with a temporary index (so the credentials of the checkout push it), and
# force-pushed: the branch always holds exactly the current book and no history of builds.
# KLBOOK_BUILD_DIR overrides _build.
set -euo pipefail

remote="${1:?usage: tools/deploy_pages.sh REMOTE [BRANCH]}"
branch="${2:-gh-pages}"
build="${KLBOOK_BUILD_DIR:-_build}"

if [ ! -f "$build/html/index.html" ]; then
  echo "deploy_pages: $build/html/index.html is missing; run make book first" >&2
  exit 1
fi

site="$(mktemp -d)"
index="$(mktemp)"
trap 'rm -rf "$site" "$index"' EXIT

cp -a "$build/html/." "$site/"
rm -rf "$site/.doctrees" "$site/reports"
if compgen -G "$build/pdf/*.pdf" > /dev/null; then
  mkdir -p "$site/pdf"
  cp -a "$build"/pdf/*.pdf "$site/pdf/"
fi
if [ -d "$build/student" ]; then
  cp -a "$build/student" "$site/student"
fi
touch "$site/.nojekyll"

source_rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
export GIT_INDEX_FILE="$index"
rm -f "$index"
git --work-tree="$site" add --all --force .
tree="$(git write-tree)"
commit="$(
  GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-klbook publisher}" \
  GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-klbook-publisher@users.noreply.github.com}" \
  GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-klbook publisher}" \
  GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-klbook-publisher@users.noreply.github.com}" \
  git commit-tree "$tree" -m "Publish the book built from $source_rev"
)"
unset GIT_INDEX_FILE
git push --force --quiet "$remote" "$commit:refs/heads/$branch"
echo "deploy_pages: published $(git ls-tree -r --name-only "$commit" | wc -l) files from $build as $commit to $remote $branch"
