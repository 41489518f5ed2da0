<?php
/**
 * The protected download route, ?goldcoin_download=<token>: the sidecar signs a short-lived token
 * (docs/download-token.md) for a user who unlocked the post; this verifies it and streams the EA file.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Downloads {
	const QUERY_VAR   = 'goldcoin_download';
	const AUDIENCE    = 'goldcoin-download';
	const CHUNK_BYTES = 1048576;
	/** The sidecar signs for minutes (DOWNLOAD_TOKEN_TTL_MIN, at most 15). */
	const MAX_LIFETIME_S = 15 * MINUTE_IN_SECONDS;

	public static function register(): void {
		add_action( 'init', array( __CLASS__, 'maybe_serve' ), 20 );
	}

	public static function maybe_serve(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the signed token is the authorisation
		if ( ! isset( $_GET[ self::QUERY_VAR ] ) ) {
			return;
		}
		$raw    = wp_unslash( $_GET[ self::QUERY_VAR ] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$token  = is_string( $raw ) ? preg_replace( '/[^A-Za-z0-9_.-]/', '', $raw ) : '';
		$claims = Goldcoin_Jwt::decode( $token, Goldcoin_Settings::jwt_secret(), self::AUDIENCE, Goldcoin_Settings::sidecar_url(), time(), self::MAX_LIFETIME_S );
		$path   = null === $claims ? null : self::file_for( $claims );
		if ( null === $path ) {
			self::refuse();
		}
		/**
		 * Filters whether a verified download may be served (a licence check, a per-user limit): return
		 * false or a WP_Error to refuse it with 403. It can refuse, never allow what the checks refused.
		 */
		$allowed = apply_filters( 'goldcoin_before_download', true, (int) $claims['sub'], (int) $claims['post'], (int) $claims['file'], $path );
		if ( true !== $allowed ) {
			self::refuse();
		}
		self::stream( $path );
		/** Fires after a protected EA file was sent to its buyer in full. */
		do_action( 'goldcoin_download_served', (int) $claims['sub'], (int) $claims['post'], (int) $claims['file'], $path );
		exit;
	}

	/** The file the token names, if the token's user, post and file all still line up. */
	private static function file_for( array $claims ): ?string {
		$sub     = is_string( $claims['sub'] ?? null ) && ctype_digit( $claims['sub'] ) ? (int) $claims['sub'] : 0;
		$post_id = is_int( $claims['post'] ?? null ) ? $claims['post'] : 0;
		$file_id = is_int( $claims['file'] ?? null ) ? $claims['file'] : 0;
		if ( $sub <= 0 || $post_id <= 0 || $file_id <= 0 ) {
			return null;
		}
		// Only the buyer, logged in, can use the link: a copied link is useless to anyone else.
		if ( get_current_user_id() !== $sub ) {
			return null;
		}
		if ( 'attachment' !== get_post_type( $file_id ) || (int) get_post_meta( $post_id, Goldcoin_Meta_Box::FILE_KEY, true ) !== $file_id ) {
			return null;
		}
		// Only what the meta box moved into protected storage is ever served, never another file the record names.
		$path = realpath( (string) get_attached_file( $file_id, true ) );
		return false !== $path && Goldcoin_Protected_Files::is_protected( $path ) && is_file( $path ) && is_readable( $path ) ? $path : null;
	}

	/** WordPress 6.1's nocache_headers() still lets a shared cache or the disk cache keep a private file. */
	private static function private_headers(): void {
		nocache_headers();
		header( 'Cache-Control: no-store, no-cache, must-revalidate, max-age=0, private' );
	}

	private static function refuse(): void {
		self::private_headers();
		status_header( 403 );
		header( 'Content-Type: text/plain; charset=utf-8' );
		echo esc_html__( 'This download link is invalid or has expired. Go back to the post and download again.', 'goldcoin' );
		exit;
	}

	private static function stream( string $path ): void {
		$name = wp_basename( $path );
		$type = wp_check_filetype( $name )['type'];
		$size = filesize( $path );
		while ( ob_get_level() > 0 ) {
			ob_end_clean();
		}
		self::private_headers();
		status_header( 200 );
		header( 'Content-Type: ' . ( $type ? $type : 'application/octet-stream' ) );
		// RFC 6266: a plain ASCII fallback for old clients, the exact UTF-8 name in filename* (RFC 5987).
		$ascii = preg_replace( '/[^\x20-\x7e]|["\\\\]/', '_', $name );
		header( 'Content-Disposition: attachment; filename="' . $ascii . '"; filename*=UTF-8\'\'' . rawurlencode( $name ) );
		header( 'Content-Security-Policy: sandbox' );
		header( 'Content-Length: ' . $size );
		header( 'X-Content-Type-Options: nosniff' );
		header( 'Referrer-Policy: no-referrer' );
		$handle = fopen( $path, 'rb' );
		if ( false === $handle ) {
			self::refuse();
		}
		while ( ! feof( $handle ) ) {
			echo fread( $handle, self::CHUNK_BYTES ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- file bytes
			flush();
		}
		fclose( $handle );
	}
}
