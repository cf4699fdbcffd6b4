"""The web app: the on-call officer's form and pages, the JSON API and acknowledge links."""
