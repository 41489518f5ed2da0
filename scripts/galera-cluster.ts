// `npm run galera -- start [dir]` / `stop <dir>`: a 3-node MariaDB Galera cluster on loopback, by hand.
import { galeraUnavailable, startGaleraCluster, stopGaleraCluster } from '../tests/support/galera.js';

const [command, dir] = process.argv.slice(2);

if (command === 'start') {
  const reason = galeraUnavailable();
  if (reason) {
    console.error(`galera-cluster: ${reason}`);
    process.exit(1);
  }
  const cluster = await startGaleraCluster(dir ? { dir } : {});
  console.log(`galera-cluster: 3 nodes synced in ${(cluster.startupMs / 1000).toFixed(1)} s`);
  for (const n of cluster.nodes) console.log(`  ${n.name}: ${n.adminUrl} (pid ${n.pid}, socket ${n.socket})`);
  console.log(`stop it with: npm run galera -- stop ${cluster.dir}`);
} else if (command === 'stop' && dir) {
  await stopGaleraCluster(dir);
  console.log(`galera-cluster: stopped and removed ${dir}`);
} else {
  console.error('usage: npm run galera -- start [dir] | stop <dir>');
  process.exit(2);
}
