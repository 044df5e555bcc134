#!/usr/bin/env bash
# Re-extract message ids from the code and merge them into every language's catalog (standard gettext tools).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract --no-location --sort-output -k t -k N_ -o app/i18n/fabkiosk.pot app ui_components machine_adapters
.venv/bin/pybabel update --no-fuzzy-matching -i app/i18n/fabkiosk.pot -d app/i18n/locales -D fabkiosk
