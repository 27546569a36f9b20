"""Stan Store Windsurf: the services behind Ethiopia's creator storefront platform."""
