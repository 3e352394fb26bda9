"""The one shared runtime every LeafEnterprise service uses: server, settings, telemetry, errors, db."""
