// The smallest home agent file, with more `home_agent` keys (indented by two) appended.
export const homeAgentYaml = (extra: string): string => `role: home-agent
home_agent:
  interface: eth0
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
${extra}`;
