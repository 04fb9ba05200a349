"""The site's screens, one mixin per area (composed into GatewayService like gateway/routes)."""
