"""The Stan Store Windsurf Pulumi program, its typed stack settings, policy pack and Automation API entry."""
