"""Analytics: views, unique visitors, checkouts and sales per creator, rolled up by day."""
