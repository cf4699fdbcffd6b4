#!/bin/sh
# Rebuilds web/static/govuk from the pinned GOV.UK Frontend and axe-core packages (package.json).
# Run it only to change version: the built files are committed, so `make run` needs no Node.js.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
out=../web/static/govuk
rm -rf "$out" && mkdir -p "$out/assets/images"
npx sass --no-source-map --style=compressed --load-path=node_modules concordat.scss "$out/concordat.min.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/"
cp node_modules/govuk-frontend/dist/govuk/assets/images/favicon.ico \
   node_modules/govuk-frontend/dist/govuk/assets/images/favicon.svg "$out/assets/images/"
# The package is MIT-licensed (its package.json) and ships no licence file: record it beside it.
cp LICENSE-govuk-frontend.txt "$out/LICENSE"
node -p "'govuk-frontend ' + require('govuk-frontend/package.json').version" > "$out/VERSION"
# axe-core checks every page in the browser tests; it is served only to them.
mkdir -p ../tests/browser/vendor
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE ../tests/browser/vendor/
node -p "'axe-core ' + require('axe-core/package.json').version" > ../tests/browser/vendor/VERSION
