"""One module per `leaf` subcommand."""
