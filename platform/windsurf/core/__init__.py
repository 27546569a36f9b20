"""Cross-cutting building blocks every domain uses: database, stores, i18n, security, jobs, errors."""
