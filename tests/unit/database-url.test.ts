// DATABASE_URL parsing: the address parts, the unix socket and TLS switches, and refusals of anything else.
import { describe, expect, it } from 'vitest';
import { DatabaseUrlError, parseDatabaseUrl } from '../../sidecar/src/db/database-url.js';

describe('DATABASE_URL', () => {
  it('reads user, password, host, port and database, decoding escapes', () => {
    expect(parseDatabaseUrl('mysql://gold%40site:p%2Fss@db.example:3307/wp_site')).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'gold@site',
      password: 'p/ss',
      database: 'wp_site',
    });
    expect(parseDatabaseUrl('mysql://u:p@127.0.0.1/wp').port).toBe(3306);
  });

  it('connects through a unix socket with ?socket= and over verified TLS with ?ssl=true', () => {
    expect(parseDatabaseUrl('mysql://u:p@localhost/wp?socket=/run/mysqld/mysqld.sock').socketPath).toBe('/run/mysqld/mysqld.sock');
    expect(parseDatabaseUrl('mysql://u:p@db.example/wp?ssl=true').ssl).toEqual({ rejectUnauthorized: true });
    expect(parseDatabaseUrl('mysql://u:p@db.example/wp?ssl=false').ssl).toBeUndefined();
  });

  it.each([
    ['another scheme', 'postgres://u:p@h/db', /expected mysql:/],
    ['no database', 'mysql://u:p@h/', /database name/],
    ['a database name with a quote', "mysql://u:p@h/wp'x", /database name/],
    ['a driver option', 'mysql://u:p@h/db?multipleStatements=true', /unknown parameter multipleStatements/],
    ['a relative socket', 'mysql://u:p@localhost/db?socket=mysqld.sock', /absolute path/],
    ['a vague ssl', 'mysql://u:p@h/db?ssl=yes', /ssl must be true or false/],
    ['not a URL', 'localhost:3306', /expected mysql:/],
  ])('refuses %s', (_what, url, why) => {
    expect(() => parseDatabaseUrl(url)).toThrow(DatabaseUrlError);
    expect(() => parseDatabaseUrl(url)).toThrow(why);
  });
});
