<?php
/**
 * Referral links: `?ref=CODE` on a front-end page is kept in a first-party cookie, and when that visitor
 * registers or logs in the plugin asks the sidecar, with the user's own token, to bind them to the code's owner.
 * The sidecar decides everything (unknown or own code, already bound, already a customer); the plugin only
 * carries the code until the sidecar settles the user's referral, and ignores a refusal quietly. No coin arithmetic here.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Referrals {
	const COOKIE       = 'goldcoin_ref';
	const DEFAULT_DAYS = 30;
	const MAX_DAYS     = 365;
	/** Set once the sidecar has given this user a final answer: binding is settled once per user. */
	const TRIED_META = 'goldcoin_referral_tried';
	/**
	 * Answers that settle a user's referral for good. Another (their own code, a mistyped one, a rate limit, a
	 * sidecar that did not answer) leaves the next link free to bind them.
	 */
	const FINAL = array( 'bound', 'already_bound', 'not_eligible', 'referral_loop' );
	const TIMEOUT_S  = 5;

	public static function register(): void {
		add_action( 'template_redirect', array( __CLASS__, 'capture' ), 1 );
		add_action( 'login_init', array( __CLASS__, 'capture' ) );
		add_action( 'user_register', array( __CLASS__, 'on_register' ) );
		add_action( 'wp_login', array( __CLASS__, 'on_login' ), 10, 2 );
	}

	/** A code as the sidecar issues them (letters and digits), or '' for anything else. */
	public static function clean_code( $raw ): string {
		if ( ! is_string( $raw ) ) {
			return '';
		}
		$code = strtoupper( trim( wp_unslash( $raw ) ) );
		return 1 === preg_match( '/^[A-Z0-9]{4,32}$/', $code ) ? $code : '';
	}

	public static function cookie_days(): int {
		$days = (int) ( Goldcoin_Settings::options()['referral_cookie_days'] ?? self::DEFAULT_DAYS );
		return max( 1, min( self::MAX_DAYS, $days ) );
	}

	/** Keeps the code of a `?ref=` link; a logged-in visitor is bound at once instead. */
	public static function capture(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a public link, read and validated, changes nothing by itself
		$code = self::clean_code( $_GET['ref'] ?? null );
		if ( '' === $code ) {
			return;
		}
		$user = wp_get_current_user();
		if ( $user->exists() ) {
			self::bind_once( $user, $code );
			return;
		}
		self::set_cookie( $code, time() + self::cookie_days() * DAY_IN_SECONDS );
		$_COOKIE[ self::COOKIE ] = $code;
	}

	public static function on_register( int $user_id ): void {
		$user = get_userdata( $user_id );
		if ( $user instanceof WP_User ) {
			self::bind_from_cookie( $user );
		}
	}

	public static function on_login( string $login, WP_User $user ): void {
		self::bind_from_cookie( $user );
	}

	private static function bind_from_cookie( WP_User $user ): void {
		$code = self::clean_code( $_COOKIE[ self::COOKIE ] ?? null );
		if ( '' === $code ) {
			return;
		}
		self::bind_once( $user, $code );
		self::set_cookie( '', time() - YEAR_IN_SECONDS );
		unset( $_COOKIE[ self::COOKIE ] );
	}

	/** Asks the sidecar unless it already settled this user's referral; marked first, so two tabs do not both ask. */
	private static function bind_once( WP_User $user, string $code ): void {
		if ( get_user_meta( $user->ID, self::TRIED_META, true ) || ! Goldcoin_Settings::is_configured() ) {
			return;
		}
		$token = Goldcoin_Tokens::mint_for_user( $user );
		if ( null === $token ) {
			return;
		}
		update_user_meta( $user->ID, self::TRIED_META, time() );
		$response = wp_remote_post(
			Goldcoin_Settings::sidecar_url() . '/api/referrals/bind',
			array(
				'timeout'     => self::TIMEOUT_S,
				'redirection' => 0,
				'headers'     => array(
					'Authorization' => 'Bearer ' . $token,
					'Content-Type'  => 'application/json',
				),
				'body'        => wp_json_encode( array( 'code' => $code ) ),
			)
		);
		$result = 'unreachable';
		if ( ! is_wp_error( $response ) ) {
			$status = (int) wp_remote_retrieve_response_code( $response );
			$body   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
			$result = 200 === $status ? 'bound' : (string) ( $body['error']['code'] ?? 'http_' . $status );
		}
		if ( ! in_array( $result, self::FINAL, true ) ) {
			delete_user_meta( $user->ID, self::TRIED_META );
		}
		/**
		 * Fires after the plugin asked the sidecar to bind a user to a referral code.
		 *
		 * @param int    $user_id the user
		 * @param string $code    the referral code from the link
		 * @param string $result  'bound', the sidecar's refusal code (unknown_code, self_referral, already_bound,
		 *                        referral_loop, not_eligible, rate_limited), or 'unreachable'
		 */
		do_action( 'goldcoin_referral_bind_result', $user->ID, $code, sanitize_key( $result ) );
	}

	private static function set_cookie( string $value, int $expires ): void {
		if ( headers_sent() ) {
			return;
		}
		setcookie(
			self::COOKIE,
			$value,
			array(
				'expires'  => $expires,
				'path'     => COOKIEPATH ? COOKIEPATH : '/',
				'domain'   => COOKIE_DOMAIN ? COOKIE_DOMAIN : '',
				'secure'   => is_ssl(),
				'httponly' => true,
				'samesite' => 'Lax',
			)
		);
	}
}
