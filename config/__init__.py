"""Campaign files, settings schema, exit codes and the errors every part raises."""
