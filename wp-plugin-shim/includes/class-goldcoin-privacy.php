<?php
/**
 * WordPress's personal-data tools (Tools → Export / Erase Personal Data) for what the sidecar holds about a user,
 * and the same erasure when a user is deleted. The sidecar decides what is exported, removed and kept; this class
 * pages through its answers.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Privacy {
	const ID = 'goldcoin';
	/** Calls of one erasure: the sidecar's passes are bounded, and a user with many payments needs a few. */
	const MAX_ERASE_CALLS = 20;
	/** Deleted users whose erasure could not reach the sidecar yet: user id => email, retried from wp-admin. */
	const PENDING_OPTION = 'goldcoin_pending_erasures';
	const RETRY_TRANSIENT = 'goldcoin_erasure_retry';

	public static function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( __CLASS__, 'exporters' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( __CLASS__, 'erasers' ) );
		// Before the row goes, while the user's email is still known; their coins and records stay, anonymised.
		add_action( 'delete_user', array( __CLASS__, 'user_deleted' ), 10, 1 );
		add_action( 'wpmu_delete_user', array( __CLASS__, 'user_deleted' ), 10, 1 );
		add_action( 'admin_init', array( __CLASS__, 'retry_pending' ) );
	}

	public static function exporters( array $exporters ): array {
		$exporters[ self::ID ] = array(
			'exporter_friendly_name' => __( 'Gold Coins', 'goldcoin' ),
			'callback'               => array( __CLASS__, 'export' ),
		);
		return $exporters;
	}

	public static function erasers( array $erasers ): array {
		$erasers[ self::ID ] = array(
			'eraser_friendly_name' => __( 'Gold Coins', 'goldcoin' ),
			'callback'             => array( __CLASS__, 'erase' ),
		);
		return $erasers;
	}

	/** @return array|WP_Error One page of WordPress exporter items, in the data subject's language. */
	public static function export( string $email, int $page = 1 ) {
		$user = get_user_by( 'email', $email );
		if ( ! $user ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		$query  = http_build_query(
			array(
				'user_id' => $user->ID,
				'page'    => max( 1, $page ),
				'email'   => $email,
				'locale'  => get_user_locale( $user ),
			)
		);
		$answer = Goldcoin_Users::request( 'GET', '/api/admin/privacy/export?' . $query, 'admin' );
		if ( null === $answer || 200 !== $answer['status'] || ! is_array( $answer['body']['data'] ?? null ) ) {
			return new WP_Error( 'goldcoin_unreachable', __( 'The coin service did not answer: try the export again later.', 'goldcoin' ) );
		}
		return array(
			'data' => $answer['body']['data'],
			'done' => (bool) ( $answer['body']['done'] ?? true ),
		);
	}

	/** @return array|WP_Error WordPress eraser answer: the sidecar bounds each call and says when it is done. */
	public static function erase( string $email, int $page = 1 ) {
		$user = get_user_by( 'email', $email );
		if ( ! $user ) {
			return array(
				'items_removed'  => false,
				'items_retained' => false,
				'messages'       => array(),
				'done'           => true,
			);
		}
		$answer = self::erase_call( (int) $user->ID, $email );
		if ( null === $answer ) {
			return new WP_Error( 'goldcoin_unreachable', __( 'The coin service did not answer: nothing was erased, try again later.', 'goldcoin' ) );
		}
		return array(
			'items_removed'  => (int) ( $answer['items_removed'] ?? 0 ) > 0,
			'items_retained' => (int) ( $answer['items_retained'] ?? 0 ) > 0,
			'messages'       => array_map( 'strval', is_array( $answer['messages'] ?? null ) ? $answer['messages'] : array() ),
			'done'           => (bool) ( $answer['done'] ?? true ),
		);
	}

	/** The same erasure for a deleted user; if the sidecar cannot be reached it is remembered and retried. */
	public static function user_deleted( int $user_id ): void {
		$user  = get_userdata( $user_id );
		$email = $user ? (string) $user->user_email : '';
		if ( ! self::erase_fully( $user_id, $email ) ) {
			$pending             = get_option( self::PENDING_OPTION, array() );
			$pending             = is_array( $pending ) ? $pending : array();
			$pending[ $user_id ] = $email;
			update_option( self::PENDING_OPTION, $pending, false );
		}
	}

	/** Erasures of deleted users the sidecar missed, tried again at most every five minutes by an administrator's visit. */
	public static function retry_pending(): void {
		$pending = get_option( self::PENDING_OPTION, array() );
		if ( ! is_array( $pending ) || array() === $pending || ! current_user_can( 'manage_options' ) || get_transient( self::RETRY_TRANSIENT ) ) {
			return;
		}
		set_transient( self::RETRY_TRANSIENT, 1, 5 * MINUTE_IN_SECONDS );
		foreach ( $pending as $user_id => $email ) {
			if ( self::erase_fully( (int) $user_id, (string) $email ) ) {
				unset( $pending[ $user_id ] );
			}
		}
		update_option( self::PENDING_OPTION, $pending, false );
	}

	private static function erase_fully( int $user_id, string $email ): bool {
		for ( $call = 0; $call < self::MAX_ERASE_CALLS; $call++ ) {
			$answer = self::erase_call( $user_id, $email );
			if ( null === $answer ) {
				return false;
			}
			if ( ! empty( $answer['done'] ) ) {
				return true;
			}
		}
		return false;
	}

	private static function erase_call( int $user_id, string $email ): ?array {
		$answer = Goldcoin_Users::request(
			'POST',
			'/api/admin/privacy/erase',
			'admin',
			array(
				'user_id' => $user_id,
				'emails'  => is_email( $email ) ? array( $email ) : array(),
				'locale'  => get_user_locale(),
			)
		);
		return null !== $answer && 200 === $answer['status'] && is_array( $answer['body'] ) ? $answer['body'] : null;
	}
}
