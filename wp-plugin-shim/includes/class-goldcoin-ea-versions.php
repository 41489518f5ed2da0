<?php
/**
 * Versions of a post's EA file: the meta box's "new version" fields record one with the sidecar
 * (POST /api/posts/:id/versions), which notifies every reader entitled to the post; the box lists the history.
 * The file itself is the post's _goldcoin_file, so buyers always download the newest version.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Ea_Versions {
	/** VERSION_PATTERN in sidecar/src/licences/terms.ts. */
	const VERSION_PATTERN = '/^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$/';
	const MAX_NOTES_CHARS = 2000;
	const TIMEOUT_S       = 10;

	public static function is_version( string $version ): bool {
		return 1 === preg_match( self::VERSION_PATTERN, $version );
	}

	/** Records a version of the post's file; '' on success, else a message for the editor. */
	public static function publish( int $post_id, int $file_id, string $version, string $notes ): string {
		$response = self::call(
			'POST',
			$post_id,
			array(
				'version' => $version,
				'notes'   => mb_substr( $notes, 0, self::MAX_NOTES_CHARS ),
				'file_id' => $file_id,
			)
		);
		if ( null === $response ) {
			return __( 'The new version was not recorded: the Gold Coins service could not be reached. The file was saved.', 'goldcoin' );
		}
		if ( 409 === $response['status'] ) {
			/* translators: %s: a version number such as 3.1.0 */
			return sprintf( __( 'Version %s was recorded before: give the new file another version number.', 'goldcoin' ), $version );
		}
		if ( 404 === $response['status'] ) {
			return __( 'Versions need an EA product ID: set one, then record the version.', 'goldcoin' );
		}
		return 201 === $response['status'] ? '' : __( 'The new version was not recorded.', 'goldcoin' );
	}

	/** The history, newest first, as the sidecar has it; an empty list when it cannot be read. */
	public static function history( int $post_id ): array {
		$response = self::call( 'GET', $post_id, null );
		if ( null === $response || 200 !== $response['status'] || ! is_array( $response['body']['versions'] ?? null ) ) {
			return array();
		}
		return $response['body']['versions'];
	}

	/** @return array{status:int, body:mixed}|null */
	private static function call( string $method, int $post_id, ?array $body ): ?array {
		$sidecar = Goldcoin_Settings::sidecar_url();
		$secret  = Goldcoin_Settings::jwt_secret();
		$user    = wp_get_current_user();
		if ( '' === $sidecar || strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN || ! $user->exists() ) {
			return null;
		}
		$token    = Goldcoin_Jwt::encode( Goldcoin_Tokens::claims( $user, $post_id, time(), 'admin' ), $secret );
		$args     = array(
			'method'      => $method,
			'timeout'     => self::TIMEOUT_S,
			'redirection' => 0,
			'headers'     => array( 'Authorization' => 'Bearer ' . $token ),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( $body );
		}
		$response = wp_remote_request( $sidecar . '/api/posts/' . $post_id . '/versions', $args );
		if ( is_wp_error( $response ) ) {
			return null;
		}
		return array(
			'status' => (int) wp_remote_retrieve_response_code( $response ),
			'body'   => json_decode( (string) wp_remote_retrieve_body( $response ), true ),
		);
	}
}
