<?php
/**
 * WordPress's own user screens: a sortable coin balance column in Users, and a Gold Coins section on a user's
 * profile (balance, recent movements, and for administrators an adjustment with a reason).
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Users {
	const COLUMN        = 'goldcoin_balance';
	const TIMEOUT_S     = 3;
	const RECENT        = 10;
	const NONCE_ACTION  = 'goldcoin_adjust_';
	const NONCE_FIELD   = 'goldcoin_adjust_nonce';
	const NOTICE_PREFIX = 'goldcoin_adjust_notice_';

	/** Balances of the users on the current Users screen, fetched in one call on the first cell. */
	private static ?array $balances = null;

	public static function register(): void {
		add_filter( 'manage_users_columns', array( __CLASS__, 'columns' ) );
		add_filter( 'manage_users_sortable_columns', array( __CLASS__, 'sortable' ) );
		add_filter( 'manage_users_custom_column', array( __CLASS__, 'cell' ), 10, 3 );
		add_action( 'pre_user_query', array( __CLASS__, 'order_by_balance' ) );
		add_action( 'show_user_profile', array( __CLASS__, 'profile' ) );
		add_action( 'edit_user_profile', array( __CLASS__, 'profile' ) );
		add_action( 'personal_options_update', array( __CLASS__, 'adjust' ) );
		add_action( 'edit_user_profile_update', array( __CLASS__, 'adjust' ) );
	}

	public static function columns( array $columns ): array {
		if ( current_user_can( 'manage_options' ) ) {
			$columns[ self::COLUMN ] = __( 'Coins', 'goldcoin' );
		}
		return $columns;
	}

	public static function sortable( array $columns ): array {
		$columns[ self::COLUMN ] = self::COLUMN;
		return $columns;
	}

	/** The shown users' balances come from the sidecar in one request, not one per row. */
	public static function cell( $output, string $column, int $user_id ) {
		if ( self::COLUMN !== $column ) {
			return $output;
		}
		if ( null === self::$balances ) {
			global $wp_list_table;
			$ids            = isset( $wp_list_table->items ) && is_array( $wp_list_table->items ) ? array_map( 'intval', array_keys( $wp_list_table->items ) ) : array( $user_id );
			self::$balances = self::balances( $ids );
		}
		return array_key_exists( $user_id, self::$balances ) ? esc_html( number_format_i18n( self::$balances[ $user_id ] ) ) : '—';
	}

	/**
	 * Sorting joins the sidecar's wallet table in the same database: WordPress pages the list in SQL, so only the
	 * database can order every user by balance (a user without a wallet has 0).
	 */
	public static function order_by_balance( WP_User_Query $query ): void {
		if ( self::COLUMN !== $query->get( 'orderby' ) || ! current_user_can( 'manage_options' ) ) {
			return;
		}
		global $wpdb;
		$wallet             = esc_sql( self::table_prefix() . 'user_wallet' );
		$order              = 'ASC' === strtoupper( (string) $query->get( 'order' ) ) ? 'ASC' : 'DESC';
		$query->query_from .= " LEFT JOIN `{$wallet}` AS goldcoin_wallet ON goldcoin_wallet.user_id = {$wpdb->users}.ID";
		$query->query_orderby = "ORDER BY COALESCE(goldcoin_wallet.total_coins, 0) {$order}, {$wpdb->users}.ID {$order}";
	}

	/** The sidecar's table prefix: GOLDCOIN_TABLE_PREFIX when the site sets it, else WordPress's plus goldcoin_. */
	public static function table_prefix(): string {
		$override = Goldcoin_Settings::override( 'GOLDCOIN_TABLE_PREFIX' );
		global $wpdb;
		return null !== $override && preg_match( '/^[A-Za-z0-9_]{1,48}$/', $override ) ? $override : $wpdb->prefix . 'goldcoin_';
	}

	public static function profile( WP_User $user ): void {
		$admin = current_user_can( 'manage_options' );
		if ( ! $admin && get_current_user_id() !== $user->ID ) {
			return;
		}
		$balance = null;
		$entries = null;
		if ( $admin ) {
			$balances = self::balances( array( $user->ID ) );
			$balance  = $balances[ $user->ID ] ?? null;
			$page     = self::get( '/api/admin/ledger?limit=' . self::RECENT . '&user_id=' . $user->ID, 'admin' );
			$entries  = is_array( $page['entries'] ?? null ) ? $page['entries'] : null;
		} else {
			$wallet  = self::get( '/api/wallet', 'visitor' );
			$balance = isset( $wallet['balance'] ) ? (int) $wallet['balance'] : null;
			$entries = is_array( $wallet['recent'] ?? null ) ? $wallet['recent'] : null;
		}
		$notice = get_transient( self::NOTICE_PREFIX . get_current_user_id() );
		delete_transient( self::NOTICE_PREFIX . get_current_user_id() );
		Goldcoin_Templates::render(
			'user-profile',
			array(
				'user'         => $user,
				'balance'      => $balance,
				'entries'      => $entries,
				'can_adjust'   => $admin,
				'nonce_action' => self::NONCE_ACTION . $user->ID,
				'nonce_field'  => self::NONCE_FIELD,
				'key'          => wp_generate_uuid4(),
				'notice'       => is_array( $notice ) ? $notice : null,
			)
		);
	}

	/**
	 * Saving the profile with an amount filled in adjusts the balance. The Idempotency-Key was printed with the
	 * form, so the same form sent twice (a reload, a double click) moves the coins once.
	 */
	public static function adjust( int $user_id ): void {
		$delta_text = isset( $_POST['goldcoin_delta'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['goldcoin_delta'] ) ) ) : '';
		if ( '' === $delta_text ) {
			return;
		}
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		check_admin_referer( self::NONCE_ACTION . $user_id, self::NONCE_FIELD );
		$reason = isset( $_POST['goldcoin_reason'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['goldcoin_reason'] ) ) ) : '';
		$key    = isset( $_POST['goldcoin_key'] ) ? sanitize_key( wp_unslash( $_POST['goldcoin_key'] ) ) : '';
		$notice = self::NOTICE_PREFIX . get_current_user_id();
		if ( ! preg_match( '/^-?[1-9][0-9]{0,9}$/', $delta_text ) ) {
			set_transient( $notice, array( 'error', __( 'The adjustment must be a whole number of coins other than 0.', 'goldcoin' ) ), MINUTE_IN_SECONDS );
			return;
		}
		if ( strlen( $reason ) < 3 || '' === $key ) {
			set_transient( $notice, array( 'error', __( 'Give a reason of at least 3 characters for the adjustment.', 'goldcoin' ) ), MINUTE_IN_SECONDS );
			return;
		}
		$answer = self::request(
			'POST',
			'/api/admin/adjustments',
			'admin',
			array(
				'user_id'     => $user_id,
				'delta_coins' => (int) $delta_text,
				'reason'      => $reason,
			),
			array( 'Idempotency-Key' => 'profile-' . $key )
		);
		if ( null === $answer ) {
			set_transient( $notice, array( 'error', __( 'The coin service did not answer: nothing was changed.', 'goldcoin' ) ), MINUTE_IN_SECONDS );
		} elseif ( 201 === $answer['status'] ) {
			/* translators: %s: the user's new balance in coins */
			set_transient( $notice, array( 'success', sprintf( __( 'Adjusted. New balance: %s coins.', 'goldcoin' ), number_format_i18n( (int) ( $answer['body']['balance'] ?? 0 ) ) ) ), MINUTE_IN_SECONDS );
		} elseif ( 402 === $answer['status'] ) {
			set_transient( $notice, array( 'error', __( 'Not applied: the balance would fall below zero.', 'goldcoin' ) ), MINUTE_IN_SECONDS );
		} else {
			set_transient( $notice, array( 'error', __( 'The adjustment was refused: nothing was changed.', 'goldcoin' ) ), MINUTE_IN_SECONDS );
		}
	}

	/** @return array<int,int> balance by user id; empty when the sidecar cannot be reached. */
	private static function balances( array $ids ): array {
		$ids = array_slice( array_values( array_unique( array_filter( $ids ) ) ), 0, 200 );
		if ( array() === $ids ) {
			return array();
		}
		$body = self::get( '/api/admin/balances?user_ids=' . implode( ',', $ids ), 'admin' );
		$out  = array();
		foreach ( is_array( $body['balances'] ?? null ) ? $body['balances'] : array() as $row ) {
			if ( isset( $row['user_id'], $row['balance'] ) ) {
				$out[ (int) $row['user_id'] ] = (int) $row['balance'];
			}
		}
		return $out;
	}

	private static function get( string $path, string $scope ): ?array {
		$answer = self::request( 'GET', $path, $scope );
		return null !== $answer && 200 === $answer['status'] && is_array( $answer['body'] ) ? $answer['body'] : null;
	}

	/** One sidecar call with a token minted for the current user in `scope`; null when it could not be made. */
	public static function request( string $method, string $path, string $scope, ?array $body = null, array $headers = array() ): ?array {
		$sidecar = Goldcoin_Settings::sidecar_url();
		$secret  = Goldcoin_Settings::jwt_secret();
		$user    = wp_get_current_user();
		if ( '' === $sidecar || strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN || ! $user->exists() ) {
			return null;
		}
		$token = Goldcoin_Jwt::encode( Goldcoin_Tokens::claims( $user, 0, time(), $scope ), $secret );
		$args  = array(
			'method'  => $method,
			'timeout' => self::TIMEOUT_S,
			'headers' => array_merge( array( 'Authorization' => 'Bearer ' . $token ), $headers ),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( $body );
		}
		$response = wp_remote_request( $sidecar . $path, $args );
		if ( is_wp_error( $response ) ) {
			return null;
		}
		return array(
			'status' => (int) wp_remote_retrieve_response_code( $response ),
			'body'   => json_decode( wp_remote_retrieve_body( $response ), true ),
		);
	}
}
