"""What every Concordat process needs to run: settings, logs and connections."""
