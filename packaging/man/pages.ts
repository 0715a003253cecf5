// The one source of mcoa's man pages: mcoad(8), mcoactl(8) and mcoad.yaml(5). mcoactl's
// command list comes from the CLI's own command table, so the page and `mcoactl help`
// cannot drift apart; roff.ts renders each page.
import type { Command } from '../../lib/cli/command.js';
import type { ManPage } from './roff.js';

const FILES = {
  title: 'Files',
  blocks: [
    {
      kind: 'items',
      items: [
        ['/etc/mcoad/mcoad.yaml', 'the configuration (a conffile: upgrades keep your edits)'],
        ['/var/lib/mcoad', 'binding journal and snapshot (`state_directory`), locked by the running daemon (mcoad.lock holds its pid)'],
        ['/run/mcoad/mcoad.sock', 'control socket used by mcoactl(8) (`control.socket`)'],
        ['/usr/lib/systemd/system/mcoad.service', 'the systemd unit'],
        ['/usr/share/doc/mcoa/examples/', 'example configurations for the three roles'],
      ],
    },
  ],
} as const;

export const mcoad: ManPage = {
  name: 'mcoad',
  section: 8,
  summary: 'Mobile IPv6 home agent, mobile node and correspondent with Multiple Care-of Addresses',
  synopsis: ['`mcoad` `--config` *FILE*', '`mcoad` `--check-config` *FILE*', '`mcoad` `--version` | `--help`'],
  sections: [
    {
      title: 'Description',
      blocks: [
        {
          kind: 'para',
          text: 'mcoad is the control plane of a Mobile IPv6 node (RFC 6275) with Multiple Care-of Addresses Registration (draft-ietf-monami6-multiplecoa-04) and NEMO mobile routers (RFC 3963). The role is chosen by the configuration file: a home agent keeps a binding cache and tunnels to the care-of addresses, a mobile node registers its care-of addresses with its home agent, a correspondent answers return routability and route-optimised Binding Updates.',
        },
        {
          kind: 'para',
          text: 'At start mcoad loads its binding journal (dropping what expired while it was down), adopts the kernel objects it owns (routes, tunnels, proxy neighbours, XFRM policies and states carrying its marks; nothing is flushed, so forwarding is not disturbed by a restart), repairs any difference and opens the Mobility Header socket. It runs in the foreground and logs JSON lines on standard output.',
        },
        { kind: 'para', text: 'mcoad needs CAP_NET_ADMIN and CAP_NET_RAW (root, or the systemd unit mcoad.service).' },
      ],
    },
    {
      title: 'Options',
      blocks: [
        {
          kind: 'items',
          items: [
            ['`-c`, `--config` *FILE*', 'run with this configuration (YAML, see mcoad.yaml(5))'],
            ['`--check-config` *FILE*', 'validate *FILE*, print its warnings, exit 0 when valid and 1 when not; every problem is reported as FILE:LINE:COLUMN: key: message'],
            ['`--version`', 'print the version and exit'],
            ['`-h`, `--help`', 'print a usage summary and exit'],
          ],
        },
      ],
    },
    {
      title: 'Signals',
      blocks: [
        {
          kind: 'items',
          items: [
            ['SIGHUP', 'reread the configuration file; bindings are kept (also `mcoactl reload`, `systemctl reload mcoad`)'],
            ['SIGTERM, SIGINT', 'stop; kernel objects stay in place for the next start'],
          ],
        },
      ],
    },
    {
      title: 'Exit status',
      blocks: [{ kind: 'para', text: '0 after a clean stop or a valid configuration, 1 when the configuration is invalid or the daemon cannot start, 2 on a usage error.' }],
    },
    FILES,
    { title: 'See also', blocks: [{ kind: 'para', text: 'mcoactl(8), mcoad.yaml(5), ip(8), ip-xfrm(8), systemctl(1)' }] },
  ],
};

/** mcoactl(8), with its commands taken from the CLI's table. */
export function mcoactl(commands: ReadonlyMap<string, Command>): ManPage {
  return {
    name: 'mcoactl',
    section: 8,
    summary: 'inspect and control a running mcoad',
    synopsis: ['`mcoactl` [`--socket` *PATH*] *COMMAND* [*ARGS*...]', '`mcoactl` `help` [*COMMAND*]', '`mcoactl` `--version`'],
    sections: [
      {
        title: 'Description',
        blocks: [
          {
            kind: 'para',
            text: 'mcoactl talks to mcoad(8) through its control socket: it shows the binding cache and the counters, deletes bindings, asks for a reload and follows binding events. It also decodes Mobility Header messages from hex or a capture file without a daemon. Output is an aligned table for people, or one JSON document with `--json`.',
          },
        ],
      },
      {
        title: 'Commands',
        blocks: [{ kind: 'items', items: [...commands.values()].map((c) => [c.usage.map((u) => `\`${u}\``), `${c.summary}.`] as const) }],
      },
      {
        title: 'Options',
        blocks: [
          {
            kind: 'items',
            items: [
              ['`--socket` *PATH*', 'the daemon\'s control socket; default $MCOAD_SOCKET, else /run/mcoad/mcoad.sock'],
              ['`--json`', 'machine-readable output (commands that print data)'],
              ['`-h`, `--help`', 'the usage of a command'],
            ],
          },
        ],
      },
      {
        title: 'Environment',
        blocks: [
          {
            kind: 'items',
            items: [
              ['MCOAD_SOCKET', 'the control socket when `--socket` is not given'],
              ['MCOACTL_DEBUG', 'set to 1 to print stack traces of internal errors'],
            ],
          },
        ],
      },
      {
        title: 'Exit status',
        blocks: [{ kind: 'para', text: '0 on success, 1 when the command failed (daemon not running, permission denied, bad input), 2 on a usage error.' }],
      },
      { title: 'See also', blocks: [{ kind: 'para', text: 'mcoad(8), mcoad.yaml(5)' }] },
    ],
  };
}

/** mcoad.yaml(5); `example` is the packaged example configuration, shown verbatim. */
export function mcoadYaml(example: readonly string[]): ManPage {
  return {
    name: 'mcoad.yaml',
    section: 5,
    summary: 'configuration of mcoad',
    synopsis: ['/etc/mcoad/mcoad.yaml'],
    sections: [
      {
        title: 'Description',
        blocks: [
          {
            kind: 'para',
            text: 'mcoad(8) reads one YAML file. It is checked as a whole at start and on reload; unknown keys are errors (with a suggestion), and every problem names the file, line, column and key. Durations are seconds: an integer, or a number with s, m, h or d (`90s`, `10m`, `1h`, `1d`). Check a file with `mcoad --check-config FILE`.',
          },
        ],
      },
      {
        title: 'Keys',
        blocks: [
          {
            kind: 'items',
            items: [
              ['`role`', 'required: `home-agent`, `mobile-node` or `correspondent`; selects which of the three sections below applies'],
              ['`home_agent.interface`, `.address`, `.served_prefixes`', 'the home link, this home agent\'s address on it, and the home prefixes (a home address outside them gets status 132)'],
              ['`home_agent.max_lifetime`, `.home_binding_lifetime`', 'longest binding lifetime granted (4 to 262140 s, default 3600); lifetime of a draft-04 section 5.5 home binding'],
              ['`home_agent.mcoa.allowed`, `.mcoa.bulk_registration`', 'several care-of addresses per home address (else MCOA PROHIBITED); several BID sub-options in one BU (else BULK REGISTRATION NOT SUPPORTED)'],
              ['`home_agent.authorisation`', '`default` policy and per home address (`home_addresses`): `allowed` (else status 129), `mcoa`, `mobile_router`, `mobile_network_prefixes` (NEMO), and static ESP SAs (`ipsec`: `spi_in`, `spi_out`, `reqid`, `aead`)'],
              ['`home_agent.binding_refresh_request`', '`enabled`, `lead_seconds`, `lead_fraction`: when to ask for a refresh before a binding expires'],
              ['`home_agent.dhaad`', '`preference` (-32768 to 32767, default 0), `lifetime` (1 to 65535 s, default 1800): answer Dynamic Home Agent Address Discovery Requests (RFC 6275 section 10.5) at the Home-Agents anycast address of each served prefix; radvd advertises the H bit and Home Agent Information'],
              ['`mobile_node`', '`home_address`, `home_agent` (an address, or `auto`: discover it by DHAAD), `home_prefix_length`, `interfaces` (care-of address candidates in order of preference), `bulk`, `lifetime`, `routes`, `home_link_policy`, `multiple_coa`, `bootstrap_overwrite`, `bid_conflict`, `key_management_mobility`, `correspondents`, `ipsec`, `flows` (RFC 6089 flow bindings: `id`, `priority`, `protocol`, `source`, `destination`, `source_port`, `destination_port`, `dscp`, and one of `interface`, `bid`, `discard`)'],
              ['`correspondent`', '`address`, `max_lifetime`, `mcoa`, `nonce_regenerate`'],
              ['`ipsec.required`', 'default true: Binding Updates and Acknowledgements must be protected by ESP (RFC 6275 section 5.1); false is for a lab, and mcoad warns at every start'],
              ['`wire_profile`', '`draft-04` (default) or `rfc5648` (RFC 5648\'s Binding Identifier option, O in the Binding Update, its statuses and rules); or a section replacing the numbers draft-04 left open: `bid_option_type` and the five MCoA `status` values; both ends must agree'],
              ['`kernel`', 'ownership marks of mcoad\'s kernel objects: `route_protocol` (135), `tunnel_prefix` (mip6t), `nexthop_id_base`, `nexthop_id_count`, `table`, and `resync_interval` (full comparison with the kernel)'],
              ['`state_directory`', 'binding journal directory (default /var/lib/mcoad); one daemon per directory'],
              ['`control.socket`, `control.group`, `control.mode`', 'the control socket, the group whose members may run mcoactl(8), and its mode (octal, default 0660)'],
              ['`log_level`', 'fatal, error, warn, info (default), debug, trace or silent'],
              ['`netns`', 'run mcoad\'s sockets inside this network namespace (a name under /run/netns, or a path)'],
            ],
          },
        ],
      },
      { title: 'Example', blocks: [{ kind: 'example', lines: example }] },
      { title: 'See also', blocks: [{ kind: 'para', text: 'mcoad(8), mcoactl(8); examples for the other roles in /usr/share/doc/mcoa/examples/' }] },
    ],
  };
}
