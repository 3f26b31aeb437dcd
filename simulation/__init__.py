"""ipsim: an agent-based model of why IPS employment specialists quit (Mesa 3)."""
