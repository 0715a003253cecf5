// Entry point of the mcoactl launcher (bin/mcoactl imports the compiled form of this file).
// Sets the exit status rather than calling process.exit, so piped output is not cut short.
import { main } from './main.js';

const io = {
  out: (line: string) => void process.stdout.write(line + '\n'),
  err: (line: string) => void process.stderr.write(line + '\n'),
};

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `mcoactl decode --pcap big | head`: the reader went away; that is not an error.
  if (e.code === 'EPIPE') process.exit(0);
});

process.exitCode = await main(process.argv.slice(2), io);
