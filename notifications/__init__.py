"""Every message Concordat sends: Jinja2 templates in English and Welsh, and their composing."""
