<?php
/**
 * Whether the current user may read a post's premium content. The sidecar decides (GET /api/posts/:postId,
 * asked server to server with the user's own token); the plugin only lets a post's own editors through.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Entitlements {
	const ENTITLED     = 'entitled';
	const NOT_ENTITLED = 'not_entitled';
	const LOGGED_OUT   = 'logged_out';
	const NOT_FOR_SALE = 'not_for_sale';
	/** The sidecar could not answer: the content stays hidden and the box says why. */
	const UNAVAILABLE = 'unavailable';
	/** A page waits at most this long for the sidecar before rendering the content as locked. */
	const TIMEOUT_S = 2;

	/** One answer per user and post for the whole request: a page with several parts asks once. */
	private static array $memo = array();

	public static function state( int $post_id ): string {
		$user = wp_get_current_user();
		if ( $post_id <= 0 ) {
			return self::NOT_FOR_SALE;
		}
		if ( ! $user->exists() ) {
			return self::LOGGED_OUT;
		}
		// Whoever may edit the post may read all of it anyway (raw content, revisions, preview).
		if ( current_user_can( 'edit_post', $post_id ) ) {
			return self::ENTITLED;
		}
		$key = $user->ID . ':' . $post_id;
		if ( ! isset( self::$memo[ $key ] ) ) {
			self::$memo[ $key ] = self::ask_sidecar( $user, $post_id );
		}
		return self::$memo[ $key ];
	}

	public static function is_entitled( int $post_id ): bool {
		return self::ENTITLED === self::state( $post_id );
	}

	/** Forgets the answers given so far (a test or a long-running process that changed user). */
	public static function reset(): void {
		self::$memo = array();
	}

	private static function ask_sidecar( WP_User $user, int $post_id ): string {
		$sidecar = Goldcoin_Settings::sidecar_url();
		$secret  = Goldcoin_Settings::jwt_secret();
		if ( '' === $sidecar || strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN ) {
			return self::UNAVAILABLE;
		}
		$token    = Goldcoin_Jwt::encode( Goldcoin_Tokens::claims( $user, $post_id, time() ), $secret );
		$response = wp_remote_get(
			$sidecar . '/api/posts/' . $post_id,
			array(
				'timeout'     => self::TIMEOUT_S,
				'redirection' => 0,
				'headers'     => array( 'Authorization' => 'Bearer ' . $token ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return self::UNAVAILABLE;
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( 404 === $status ) {
			return self::NOT_FOR_SALE;
		}
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 !== $status || ! is_array( $body ) || ! is_bool( $body['unlocked'] ?? null ) ) {
			return self::UNAVAILABLE;
		}
		return true === $body['unlocked'] && ! self::expired( $body ) ? self::ENTITLED : self::NOT_ENTITLED;
	}

	/** A time-limited entitlement the sidecar reports with access_until is over once that moment has passed. */
	private static function expired( array $body ): bool {
		$until = $body['access_until'] ?? null;
		if ( ! is_string( $until ) || '' === $until ) {
			return false;
		}
		$ends = strtotime( $until );
		return false !== $ends && $ends <= time();
	}
}
