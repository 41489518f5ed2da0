<?php
/**
 * Router for PHP's built-in server in front of Debian's WordPress: /wp-content/ is served from the
 * run's own content directory (GOLDCOIN_WP_CONTENT_DIR) as static files of known types only (never PHP,
 * dot-files or anything unlisted); everything else is WordPress itself.
 */

const GOLDCOIN_STATIC_TYPES = array(
	'css'   => 'text/css; charset=utf-8',
	'js'    => 'text/javascript; charset=utf-8',
	'mjs'   => 'text/javascript; charset=utf-8',
	'map'   => 'application/json',
	'json'  => 'application/json',
	'svg'   => 'image/svg+xml',
	'png'   => 'image/png',
	'jpg'   => 'image/jpeg',
	'jpeg'  => 'image/jpeg',
	'gif'   => 'image/gif',
	'webp'  => 'image/webp',
	'ico'   => 'image/x-icon',
	'woff'  => 'font/woff',
	'woff2' => 'font/woff2',
	'ttf'   => 'font/ttf',
	'txt'   => 'text/plain; charset=utf-8',
	'zip'   => 'application/zip',
);

$goldcoin_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH ) );
if ( ! str_starts_with( $goldcoin_path, '/wp-content/' ) ) {
	return false;
}

$goldcoin_root = realpath( (string) getenv( 'GOLDCOIN_WP_CONTENT_DIR' ) );
$goldcoin_file = false === $goldcoin_root ? false : realpath( $goldcoin_root . substr( $goldcoin_path, strlen( '/wp-content' ) ) );
$goldcoin_ext  = strtolower( pathinfo( (string) $goldcoin_file, PATHINFO_EXTENSION ) );
if ( false === $goldcoin_file || ! is_file( $goldcoin_file ) || ! str_starts_with( $goldcoin_file, $goldcoin_root . '/' ) || ! isset( GOLDCOIN_STATIC_TYPES[ $goldcoin_ext ] ) ) {
	http_response_code( 404 );
	header( 'Content-Type: text/plain' );
	echo "Not found\n";
	return true;
}
header( 'Content-Type: ' . GOLDCOIN_STATIC_TYPES[ $goldcoin_ext ] );
header( 'Content-Length: ' . filesize( $goldcoin_file ) );
header( 'Cache-Control: no-cache' );
readfile( $goldcoin_file );
return true;
