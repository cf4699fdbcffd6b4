"""Every message Concordat sends: Jinja2 templates in English and Welsh, and how they are composed."""
