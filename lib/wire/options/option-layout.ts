// Where an option goes on the wire: its Type, its Length octet and the alignment rule
// x*n + y of its Type octet, counted from the start of the Mobility Header (RFC 6275 §6.2).
export interface OptionLayout {
  type: number;
  length: number;
  x: number;
  y: number;
}
