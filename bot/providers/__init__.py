"""The print-and-mail providers, one folder each (client, settings, postal profile, capabilities,
webhook route, stand-in and the sources it follows); `registry` lists them."""
